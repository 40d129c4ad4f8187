"""Back-office pages of rating: runs (start, live progress, grade distribution), scorecards
(read, maker-checker approval, JSON export and import) and the rating card shown on a
household's page. Thin: permission, form, service, render."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from fuxiang.accounts import roles
from fuxiang.accounts.requests import AuthenticatedHttpRequest
from fuxiang.errors import DomainError
from fuxiang.makerchecker import makers
from fuxiang.refusals import refusal_raise
from households.forms import apply_domain_error
from households.selectors import households_visible_to
from rating import engine, runs, scorecards, selectors
from rating.forms import RunStartForm, ScorecardImportForm, ScorecardRejectForm
from rating.models import (
    RatingRun,
    RunStatus,
    Scorecard,
    ScorecardStatus,
    SubjectKind,
)

# --- runs -------------------------------------------------------------------------------------


def _require_run_reader(user: Any) -> None:
    if not (roles.can_start_rating(user) or roles.sees_everything(user)):
        raise PermissionDenied("只有总行、审计和支行行长可以查看评级任务")


def _distribution(run: RatingRun, grade_order: dict[int, list[str]]) -> list[dict[str, Any]]:
    """The published grade counts per subject kind, best grade first, with percentages."""
    cards = {
        SubjectKind.HOUSEHOLD: run.household_card,
        SubjectKind.ENTERPRISE: run.enterprise_card,
        SubjectKind.AGRICULTURAL: run.agricultural_card,
    }
    kinds = []
    for kind in SubjectKind:
        counts = (run.grade_counts or {}).get(kind.value)
        if not counts:
            continue
        card = cards[kind]
        if card.pk not in grade_order:
            grade_order[card.pk] = [band.grade for band in reversed(card.card.grades)]
        order = grade_order[card.pk]
        grades = order + sorted(set(counts) - set(order))
        total = sum(counts.values())
        rows = [
            {
                "grade": grade,
                "count": counts.get(grade, 0),
                "percent": round(100 * counts.get(grade, 0) / total, 1) if total else 0,
            }
            for grade in grades
        ]
        kinds.append({"kind": kind.value, "label": kind.label, "total": total, "rows": rows})
    return kinds


@login_required
def run_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The recent runs and, for head office and branch managers, the form to start one."""
    _require_run_reader(request.user)
    may_start = roles.can_start_rating(request.user)
    form = RunStartForm(request.POST or None, user=request.user) if may_start else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("只有总行和支行行长可以发起评级")
        if form.is_valid():
            data = form.cleaned_data
            try:
                run = runs.rating_run_start(
                    actor=request.user,
                    scope=data["scope"],
                    scope_ids=data["scope_ids"],
                    as_of=data["as_of"],
                )
            except DomainError as error:
                refusal_raise(error)
                apply_domain_error(form, error)
            else:
                return redirect("rating:run", pk=run.pk)
    kind = request.GET.get("kind", "batch")
    kind = kind if kind in selectors.RUN_KINDS else "batch"
    recent = list(
        selectors.rating_runs_recent(user=request.user, kind=kind).select_related(
            "household_card", "enterprise_card", "agricultural_card"
        )
    )
    order: dict[int, list[str]] = {}
    rows = [{"run": run, "distribution": _distribution(run, order)} for run in recent]
    # Starting is refused while any run holds the lane; say so, naming the run only to those
    # who may see it.
    active = selectors.rating_run_active()
    visible = (
        active is not None
        and selectors.rating_runs_visible_to(request.user).filter(pk=active.pk).exists()
    )
    return render(
        request,
        "rating/run_list.html",
        {
            "form": form,
            "rows": rows,
            "active": active,
            "active_visible": visible,
            "kind": kind,
            "kinds": selectors.RUN_KINDS,
        },
    )


def _run(request: AuthenticatedHttpRequest, pk: int) -> RatingRun:
    """A run the user may see; another branch's run is a 404, as if it did not exist."""
    _require_run_reader(request.user)
    return get_object_or_404(
        selectors.rating_runs_visible_to(request.user).select_related(
            "started_by", "household_card", "enterprise_card", "agricultural_card"
        ),
        pk=pk,
    )


@login_required
def run_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    may_cancel = run.status in (RunStatus.PENDING, RunStatus.RUNNING) and (
        roles.can_approve_policy(request.user) or run.started_by_id == request.user.pk
    )
    return render(
        request,
        "rating/run_detail.html",
        {"run": run, "distribution": _distribution(run, {}), "may_cancel": may_cancel},
    )


@login_required
def run_progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Polled by the run page every second while the run is active; reloads the page when it
    has ended (published, failed or cancelled)."""
    run = _run(request, pk)
    response = render(request, "rating/_run_progress.html", {"run": run})
    if not run.is_active:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def run_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    try:
        runs.rating_run_cancel(actor=request.user, run=run)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "评级任务已取消，未发布任何结果")
    return redirect("rating:run", pk=run.pk)


# --- scorecards -------------------------------------------------------------------------------


def _require_card_reader(user: Any) -> None:
    if not (roles.can_start_rating(user) or roles.sees_everything(user)):
        raise PermissionDenied("只有总行、审计和支行行长可以查看评分卡")


@login_required
def scorecard_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_card_reader(request.user)
    form = ScorecardImportForm() if roles.can_approve_policy(request.user) else None
    return render(request, "rating/scorecard_list.html", {"kinds": _cards_by_kind(), "form": form})


def _cards_by_kind() -> list[dict[str, Any]]:
    cards = list(Scorecard.objects.select_related("created_by", "submitted_by", "approved_by"))
    return [
        {"label": kind.label, "cards": [c for c in cards if c.kind == kind.value]}
        for kind in SubjectKind
    ]


@login_required
@require_POST
def scorecard_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not roles.can_approve_policy(request.user):
        raise PermissionDenied("只有总行可以维护评分卡")
    form = ScorecardImportForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            scorecard = scorecards.scorecard_import_json(
                actor=request.user,
                data=data["file"].read(),
                version=data["version"].strip() or None,
                note=data["note"],
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, f"已导入为草稿：{scorecard}")
            return redirect("rating:scorecard", pk=scorecard.pk)
    return render(
        request,
        "rating/scorecard_list.html",
        {"kinds": _cards_by_kind(), "form": form},
        status=400,
    )


@login_required
def scorecard_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_card_reader(request.user)
    scorecard = get_object_or_404(
        Scorecard.objects.select_related(
            "created_by", "submitted_by", "approved_by", "rejected_by"
        ),
        pk=pk,
    )
    may_edit = roles.can_approve_policy(request.user)
    card = scorecard.card
    context = {
        "scorecard": scorecard,
        "card": card,
        "rules": _feature_rule_rows(card),
        "may_submit": may_edit
        and scorecard.status in (ScorecardStatus.DRAFT, ScorecardStatus.REJECTED),
        "may_review": may_edit and scorecard.status == ScorecardStatus.SUBMITTED,
        "is_maker": request.user.pk in makers(selectors.scorecard_touched_by(scorecard)),
        "reject_form": ScorecardRejectForm(),
    }
    return render(request, "rating/scorecard_detail.html", context)


_ABILITY_LABELS = {"full": "有劳动能力", "partial": "部分劳动能力", "none": "无劳动能力"}


def _feature_rule_rows(card: engine.Scorecard) -> list[tuple[str, str]]:
    """The card's feature rules as (rule, value) lines in Chinese."""
    rules = card.rules
    rows = [
        (f"劳动力：{_ABILITY_LABELS.get(ability, ability)}的成员", f"计 {weight.normalize():f} 人")
        for ability, weight in rules.labour_weights
    ]
    ratio = rules.debt_ratio_without_assets_or_debt
    shown = "∞（落入最差一档）" if ratio.is_infinite() else f"{ratio * 100:f}%"
    rows.append(("无资产、无负债时的资产负债率", shown))
    return rows


def _scorecard_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    if not roles.can_approve_policy(request.user):
        raise PermissionDenied("只有总行可以维护和审批评分卡")
    scorecard = get_object_or_404(Scorecard, pk=pk)
    try:
        if action == "submit":
            scorecards.scorecard_submit(actor=request.user, scorecard=scorecard)
            messages.success(request, "已提交审批，需由另一位总行用户批准")
        elif action == "approve":
            scorecards.scorecard_approve(actor=request.user, scorecard=scorecard)
            messages.success(request, "评分卡已批准并生效，此前生效的版本已停用")
        else:
            form = ScorecardRejectForm(request.POST)
            reason = form.data.get("rejection_reason", "")
            scorecards.scorecard_reject(actor=request.user, scorecard=scorecard, reason=reason)
            messages.success(request, "评分卡已退回起草人")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("rating:scorecard", pk=scorecard.pk)


@login_required
@require_POST
def scorecard_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _scorecard_action(request, pk, "submit")


@login_required
@require_POST
def scorecard_approve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _scorecard_action(request, pk, "approve")


@login_required
@require_POST
def scorecard_reject(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _scorecard_action(request, pk, "reject")


@login_required
@require_GET
def scorecard_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_card_reader(request.user)
    scorecard = get_object_or_404(Scorecard, pk=pk)
    body = json.dumps(scorecard.definition, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"评分卡-{scorecard.get_kind_display()}-{scorecard.version}.json".replace("/", "、")
    response["Content-Disposition"] = (
        f'attachment; filename="scorecard-{scorecard.kind}-{scorecard.version}.json"; '
        f"filename*=UTF-8''{quote(filename)}"
    )
    return response


# --- a household's rating ---------------------------------------------------------------------


@login_required
@require_GET
def household_card(request: AuthenticatedHttpRequest, household_id: int) -> HttpResponse:
    """An HTML fragment for the household page: the current grade and score, knock-outs, the
    breakdown per indicator with what raised and lowered the score and hints, and the history.
    Outside the user's scope it is a 404, like the household page."""
    if not households_visible_to(request.user).filter(pk=household_id).exists():
        raise Http404("未找到该农户，或您无权访问")
    current = selectors.current_rating_of_household(household_id)
    explained = selectors.result_explain(current.result) if current is not None else None
    history = list(
        selectors.rating_history_of_household(household_id).filter(run__status=RunStatus.PUBLISHED)[
            :12
        ]
    )
    return render(
        request,
        "rating/_household_card.html",
        {"current": current, "explained": explained, "history": history},
    )
