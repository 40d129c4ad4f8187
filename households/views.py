"""Back-office pages for the archives: thin — scope, form, service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from fuxiang.accounts import roles
from fuxiang.accounts.requests import AuthenticatedHttpRequest
from fuxiang.audit import AuditContext
from fuxiang.errors import DomainError, NotFound
from fuxiang.formatting import format_count
from fuxiang.pagination import BoundedPaginator
from households import listing, selectors, services, watchlist_selectors
from households.forms import (
    BusinessEntityForm,
    HouseholdForm,
    HouseholdSearchForm,
    MemberForm,
    VisitForm,
    apply_domain_error,
    village_groups_of,
)
from households.models import BusinessEntity, EntityCategory, Household, Member

PAGE_SIZE = 25


def _get_or_404(queryset: Any, pk: int) -> Any:
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist as exc:
        raise Http404("未找到该记录，或您无权访问") from exc


def _require_editor(request: AuthenticatedHttpRequest) -> None:
    if not roles.can_edit_archives(request.user):
        raise PermissionDenied("您的角色只能查看档案，不能修改")


@login_required
def household_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    villages = selectors.villages_visible_to(request.user)
    data = request.GET.copy()
    if data.get("q") and not data.get("name"):
        data["name"] = data.pop("q")[-1]  # ?q=张: the search box's short form
    form = HouseholdSearchForm(data or None, villages=villages)
    page = selectors.household_page(
        user=request.user, number=request.GET.get("page"), per_page=PAGE_SIZE, **form.filters()
    )
    query = data.copy()
    query.pop("page", None)
    return render(
        request,
        "households/household_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "standings": listing.provider() is not None,
        },
    )


@login_required
def households_missing(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The villages in the user's scope with registered households not yet archived (户籍户数
    − 建档户数), where officers still have to visit."""
    villages = selectors.villages_missing_archives(request.user)
    return render(
        request,
        "households/households_missing.html",
        {
            "villages": villages,
            "rows": _missing_rows(villages, editable=roles.can_edit_archives(request.user)),
            "total": sum(v.missing for v in villages),  # type: ignore[attr-defined]
        },
    )


_MISSING_ROW = (
    '<tr><th scope="row" class="fw-normal text-nowrap">{} {}</th>'
    '<td class="text-nowrap">{}</td><td class="text-end">{}</td><td class="text-end">{}</td>'
    '<td class="text-end fw-bold" data-testid="missing-count">{}</td>'
    '<td class="text-nowrap"><a href="{}?village={}">本村档案</a>{}</td></tr>'
)


def _missing_rows(villages: list[Any], *, editable: bool) -> str:
    """The rows of the villages missing archives, written here rather than by the template
    engine: for the county's 250 villages the template cost more than counting them."""
    list_url, create_url = reverse("households:list"), reverse("households:create")
    return format_html_join(
        "\n",
        _MISSING_ROW,
        (
            (
                v.township.name,
                v.name,
                (v.grid.name if v.grid else "") or "—",
                format_count(v.registered_households),
                format_count(v.archived),
                format_count(v.missing),
                list_url,
                v.pk,
                format_html(' · <a href="{}?village={}">新建档案</a>', create_url, v.pk)
                if editable
                else "",
            )
            for v in villages
        ),
    )


@login_required
def village_groups(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The ``<option>``s of the chosen village's groups, for the household form (htmx)."""
    villages = selectors.villages_editable_by(request.user)
    groups = village_groups_of(villages, request.GET.get("village"))
    return render(request, "households/_village_group_options.html", {"groups": groups})


@login_required
def household_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        household = selectors.household_detail(user=request.user, household_id=pk)
    except Household.DoesNotExist as exc:
        raise Http404("未找到该农户，或您无权访问") from exc
    matches = watchlist_selectors.watchlist_matches_for_household(
        user=request.user, household=household
    )
    return render(
        request,
        "households/household_detail.html",
        {"household": household, "watchlist_matches": matches},
    )


@login_required
def household_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_editor(request)
    villages = selectors.villages_editable_by(request.user)
    form = HouseholdForm(request.POST or None, villages=villages)
    head_form = MemberForm(request.POST or None, prefix="head", head=True)
    if request.method == "POST" and form.is_valid() and head_form.is_valid():
        try:
            household = services.household_create(
                actor=request.user,
                village=form.cleaned_data["village"],
                head=head_form.service_fields(),
                fields=form.service_fields(),
                audit=AuditContext.from_request(request),
            )
        except DomainError as error:
            apply_domain_error(head_form if _is_member_error(error) else form, error)
        else:
            messages.success(request, "农户档案已建立")
            return redirect("households:detail", pk=household.pk)
    return render(
        request,
        "households/household_form.html",
        {"form": form, "head_form": head_form, "creating": True},
    )


def _is_member_error(error: DomainError) -> bool:
    return bool(set(error.errors) & {"id_number", "phone", "name", "relation"})


@login_required
def household_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    household = _get_or_404(selectors.households_editable_by(request.user), pk)
    villages = selectors.villages_editable_by(request.user)
    form = HouseholdForm(request.POST or None, instance=household, villages=villages)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_update(
                actor=request.user,
                household=household,
                fields=form.service_fields(),
                village=form.cleaned_data["village"],
                audit=AuditContext.from_request(request),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "档案已保存")
            return redirect("households:detail", pk=household.pk)
    return render(
        request,
        "households/household_form.html",
        {"form": form, "household": household, "creating": False},
    )


@login_required
def member_create(request: AuthenticatedHttpRequest, household_pk: int) -> HttpResponse:
    _require_editor(request)
    household = _get_or_404(selectors.households_editable_by(request.user), household_pk)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_create(
                actor=request.user,
                household=household,
                fields=form.service_fields(),
                audit=AuditContext.from_request(request),
            )
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "家庭成员已添加")
            return redirect("households:detail", pk=household.pk)
    return render(request, "households/member_form.html", {"form": form, "household": household})


@login_required
def member_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    member = _get_or_404(
        Member.objects.filter(
            household__in=selectors.households_editable_by(request.user).values("pk")
        ).select_related("household__village"),
        pk,
    )
    form = MemberForm(request.POST or None, instance=member, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(
                actor=request.user,
                member=member,
                fields=form.service_fields(),
                audit=AuditContext.from_request(request),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "家庭成员已保存")
            return redirect("households:detail", pk=member.household_id)
    return render(
        request,
        "households/member_form.html",
        {"form": form, "household": member.household, "member": member},
    )


def _revealed(request: AuthenticatedHttpRequest, reveal: Any, **target: int) -> HttpResponse:
    """Run a reveal service and render the htmx fragment; the service writes the audit."""
    try:
        person = reveal(actor=request.user, audit=AuditContext.from_request(request), **target)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    response = render(request, "households/_revealed.html", {"person": person})
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def member_reveal(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Decrypt one member for the page (an htmx swap)."""
    return _revealed(request, services.member_reveal, member_id=pk)


# --- business entities ------------------------------------------------------------------------


@login_required
def entity_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    entities = selectors.business_entities_visible_to(request.user)
    category = request.GET.get("category", "")
    if category in EntityCategory.values:
        entities = entities.filter(category=category)
    q = request.GET.get("q", "").strip()
    if q:
        entities = entities.filter(name__contains=q) | entities.filter(uscc=q.upper())
    page = BoundedPaginator(entities.order_by("-updated_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "households/entity_list.html",
        {"page": page, "category": category, "q": q, "categories": EntityCategory.choices},
    )


@login_required
def entity_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entity = _get_or_404(
        selectors.business_entities_visible_to(request.user).prefetch_related(
            "owner_households__village", "visits__officer"
        ),
        pk,
    )
    matches = watchlist_selectors.watchlist_matches_for_entity(user=request.user, entity=entity)
    return render(
        request,
        "households/entity_detail.html",
        {"entity": entity, "watchlist_matches": matches},
    )


def _entity_form(
    request: AuthenticatedHttpRequest, instance: BusinessEntity | None
) -> BusinessEntityForm:
    initial = {}
    if instance is None and request.GET.get("household"):
        initial["owner_household_ids"] = request.GET["household"]
    return BusinessEntityForm(
        request.POST or None,
        instance=instance,
        initial=initial,
        villages=selectors.villages_editable_by(request.user),
        households=selectors.households_editable_by(request.user),
    )


@login_required
def entity_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_editor(request)
    form = _entity_form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            entity = services.business_entity_create(
                actor=request.user,
                fields=form.service_fields(),
                owner_households=form.cleaned_data["owner_household_ids"],
                audit=AuditContext.from_request(request),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "经营主体档案已建立")
            return redirect("households:entity_detail", pk=entity.pk)
    return render(request, "households/entity_form.html", {"form": form})


@login_required
def entity_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    entity = _get_or_404(selectors.business_entities_editable_by(request.user), pk)
    form = _entity_form(request, entity)
    if request.method == "POST" and form.is_valid():
        try:
            services.business_entity_update(
                actor=request.user,
                entity=entity,
                fields=form.service_fields(),
                owner_households=form.cleaned_data["owner_household_ids"],
                audit=AuditContext.from_request(request),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "经营主体档案已保存")
            return redirect("households:entity_detail", pk=entity.pk)
    return render(request, "households/entity_form.html", {"form": form, "entity": entity})


@login_required
@require_POST
def entity_reveal(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _revealed(request, services.legal_rep_reveal, entity_id=pk)


# --- visits -----------------------------------------------------------------------------------


@login_required
def visit_photo(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """Visit photos are personal data: served only through the same scope as the archive, never
    from a public media URL."""
    visit = _get_or_404(selectors.visits_visible_to(request.user).exclude(photo=""), pk)
    response = FileResponse(visit.photo.open("rb"))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def visit_create(request: AuthenticatedHttpRequest, kind: str, pk: int) -> HttpResponse:
    if not roles.can_record_visit(request.user):
        raise PermissionDenied("只有客户经理可以登记走访")
    subject: dict[str, Any]
    if kind == "household":
        subject = {"household": _get_or_404(selectors.households_editable_by(request.user), pk)}
        back = ("households:detail", pk)
    else:
        entity = _get_or_404(selectors.business_entities_editable_by(request.user), pk)
        subject = {"business_entity": entity}
        back = ("households:entity_detail", pk)
    form = VisitForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_create(
                actor=request.user,
                fields=form.service_fields(),
                audit=AuditContext.from_request(request),
                **subject,
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "走访记录已保存")
            return redirect(*back)
    return render(
        request,
        "households/visit_form.html",
        {"form": form, "subject": next(iter(subject.values())), "back": back},
    )
