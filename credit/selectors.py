"""Reads of credit lines and policies."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from credit import engine
from credit.models import CreditLine
from households.selectors import villages_visible_to
from rating.models import CurrentRating


def current_lines() -> QuerySet[CreditLine]:
    """Every subject's current line: the line made from its current rating result (so a line
    becomes current in the very transaction that publishes its rating)."""
    return CreditLine.objects.filter(rating_result_id__in=CurrentRating.objects.values("result_id"))


def household_current_line(household_id: int) -> CreditLine | None:
    return _current_line(household_id=household_id)


def entity_current_line(entity_id: int) -> CreditLine | None:
    """An enterprise's or agricultural entity's own line (rated on its own card)."""
    return _current_line(business_entity_id=entity_id)


def _current_line(**subject: int) -> CreditLine | None:
    result_id = CurrentRating.objects.filter(**subject).values_list("result_id", flat=True).first()
    if result_id is None:
        return None
    return CreditLine.objects.filter(rating_result_id=result_id).select_related("policy").first()


# --- a stored line as the engine's results (for the trace and the plain words) ----------------

_BINDING = {
    "grade_cap": "等级额度上限",
    "income": "家庭年净收入×倍数",
    "assets": "家庭净资产×倍数",
    "override": "人工调整（已审批）",
}


def line_explain(line: CreditLine) -> tuple[engine.LimitResult, engine.RateResult]:
    """The line's stored trace as the engine's result objects: the terms staff see in full,
    and what ``engine.plain_words`` turns into sentences for the villager."""
    limit_terms = (
        engine.Term("grade_cap", f"{line.grade}级额度上限", line.cap),
        engine.Term("income", "家庭年净收入×倍数", line.by_income),
        engine.Term("assets", "家庭净资产×倍数", line.by_assets),
        engine.Term("binding", "约束项", line.amount, _BINDING.get(line.binding, "")),
    )
    limit = engine.LimitResult(
        amount=line.amount,
        terms=limit_terms,
        online_eligible=line.online_eligible,
        reason=f"额度受{_BINDING.get(line.binding, line.binding)}约束",
        grade=line.grade,
        binding=line.binding,
    )
    rate = engine.RateResult(
        rate_bp=line.rate_bp,
        terms=tuple(
            engine.Term(code, engine.RATE_TERM_LABELS[code].format(grade=line.grade), bp)
            for code, bp in line.rate_terms
        ),
        grade=line.grade,
    )
    return limit, rate


def lines_visible_to(user: Any) -> QuerySet[CreditLine]:
    """Current lines of the subjects the user may see (officers their grids, managers their
    branch, head office and auditors the county)."""
    visible = villages_visible_to(user).values("pk")
    return (
        current_lines()
        .filter(village_id__in=visible)
        .select_related("village", "business_entity", "policy", "override")
    )
