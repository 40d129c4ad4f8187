"""Reads of credit lines and policies."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from credit import engine
from credit.lines import granting_grades
from credit.models import CreditLine, LineStatus
from credit.policy_selectors import policy_in_force
from households.models import BusinessEntity, Household
from households.selectors import (
    head_name_subquery,
    household_names,
    villages_visible_to,
    visible_village_ids,
)
from rating.models import CurrentRating, RatingRun


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
    "profit": "经营主体年净利润×倍数",
    "assets": "家庭净资产×倍数",
    "override": "人工调整（已审批）",
}
_ENTITY_BINDING = {**_BINDING, "grade_cap": "经营主体等级额度上限", "assets": "经营主体净资产×倍数"}


def line_explain(line: CreditLine) -> tuple[engine.LimitResult, engine.RateResult]:
    """The line's stored trace as the engine's result objects: the terms staff see in full,
    and what ``engine.plain_words`` turns into sentences for the villager. An entity's line is
    named on its own basis (net operating profit, the entity's net assets and caps)."""
    entity = line.business_entity_id is not None
    names = _ENTITY_BINDING if entity else _BINDING
    income = "profit" if entity else "income"
    limit_terms = (
        engine.Term("grade_cap", f"{'经营主体' if entity else ''}{line.grade}级额度上限", line.cap),
        engine.Term(income, names[income], line.by_income),
        engine.Term("assets", names["assets"], line.by_assets),
        engine.Term("binding", "约束项", line.amount, names.get(line.binding, "")),
    )
    limit = engine.LimitResult(
        amount=line.amount,
        terms=limit_terms,
        online_eligible=line.online_eligible,
        reason=f"额度受{names.get(line.binding, line.binding)}约束",
        grade=line.grade,
        binding=line.binding,
        subject=engine.ENTITY if entity else engine.HOUSEHOLD,
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


# --- the list of lines: keyset pages -----------------------------------------------------------

LINE_PAGE_SIZE = 50


def _current_by_subject(lines: QuerySet[CreditLine]) -> QuerySet[CreditLine]:
    """``current_lines()`` tested row by row: a line is current when its subject's current
    rating is the result it was made from — one probe of ``CurrentRating``'s unique subject
    index per line, instead of hashing the county's current ratings for each page."""
    by_household = CurrentRating.objects.filter(
        household_id=OuterRef("household_id"), result_id=OuterRef("rating_result_id")
    )
    by_entity = CurrentRating.objects.filter(
        business_entity_id=OuterRef("business_entity_id"), result_id=OuterRef("rating_result_id")
    )
    return lines.filter(Exists(by_household) | Exists(by_entity))


@dataclass(frozen=True)
class LinePage:
    """One page of current lines, largest first: ``after`` is the page's cursor ("" the first
    page), ``next_cursor`` the next page's (None: this is the last). Not counted: each line is
    tested for being current, and a count would test the county's."""

    lines: list[CreditLine]
    after: str
    next_cursor: str | None


def _cursor(line: CreditLine) -> str:
    return f"{line.amount}_{line.pk}"


def _parse_cursor(after: str) -> tuple[Decimal, int] | None:
    amount, _, pk = after.partition("_")
    try:
        return Decimal(amount), int(pk)
    except (ArithmeticError, ValueError):
        return None


def line_page(user: Any, *, status: str = "", after: str = "") -> LinePage:
    """A page of the current lines the user may see, largest amount first (then by id), read
    from the index on (amount desc, id) from the cursor on: the thousandth page costs what the
    first does. Cursors instead of page numbers: an OFFSET would test every line before it."""
    visible = visible_village_ids(user)
    lines = (
        CreditLine.objects.all()
        if visible is None
        else CreditLine.objects.filter(village_id__in=visible)
    )
    if status:
        lines = lines.filter(status=status)
    lines = _current_by_subject(lines).order_by("-amount", "pk")
    position = _parse_cursor(after) if after else None
    if position is not None:
        amount, pk = position
        # (``amount <= cursor`` as well, redundant but what the index can start from: the
        # OR alone is only a filter, tested on every line above the cursor — 50,000 down,
        # 42 ms of reading them)
        lines = lines.filter(
            Q(amount__lte=amount), Q(amount__lt=amount) | Q(amount=amount, pk__gt=pk)
        )
    rows = list(
        lines.select_related("village", "business_entity", "policy", "override")[
            : LINE_PAGE_SIZE + 1
        ]
    )
    more = len(rows) > LINE_PAGE_SIZE
    rows = rows[:LINE_PAGE_SIZE]
    return LinePage(
        lines=rows,
        after=after if position is not None else "",
        next_cursor=_cursor(rows[-1]) if more else None,
    )


def line_cursor_at(user: Any, depth: int) -> str:
    """The cursor of the page that starts ``depth`` lines down the user's list (benchmarks)."""
    visible = visible_village_ids(user)
    lines = (
        CreditLine.objects.all()
        if visible is None
        else CreditLine.objects.filter(village_id__in=visible)
    )
    lines = _current_by_subject(lines)
    line = lines.order_by("-amount", "pk")[depth - 1 : depth].first()
    return _cursor(line) if line is not None else ""


# --- a household and its businesses: one exposure ---------------------------------------------

EXPOSED = (LineStatus.ACTIVE, LineStatus.SUSPENDED)  # granted and not ended


@dataclass(frozen=True)
class ExposureRow:
    """One subject of a household's exposure: the household itself, or one of its businesses
    (``entity``), with its current line (``None``: none) and whether it shares the household's
    line instead of having its own."""

    label: str
    line: CreditLine | None
    entity: BusinessEntity | None = None
    shared: bool = False

    @property
    def amount(self) -> Decimal:
        if self.shared or self.line is None or self.line.status not in EXPOSED:
            return Decimal(0)
        return self.line.amount


@dataclass(frozen=True)
class Exposure:
    rows: list[ExposureRow] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((row.amount for row in self.rows), Decimal(0))

    @property
    def has_businesses(self) -> bool:
        return len(self.rows) > 1


def household_exposure(household_id: int) -> Exposure:
    """The household's credit exposure with its businesses' (docs/design.md §4.6: one household, one
    limit): its own current line, each linked entity's own line — or, for an individual
    business, family farm or large grower, nothing more: it draws on the household's line —
    and their total (lines 有效 or 已冻结 count; an expired or revoked line is no exposure).
    Four queries whatever the number of businesses."""
    entities = list(
        BusinessEntity.objects.filter(owner_households=household_id).order_by("kind", "pk")
    )
    own = [
        e.pk for e in entities if not engine.shares_household_line(e.kind, has_owner_household=True)
    ]
    lines = {
        line.business_entity_id: line for line in current_lines().filter(business_entity_id__in=own)
    }
    rows = [ExposureRow("本户", household_current_line(household_id))]
    for entity in entities:
        shared = entity.pk not in own
        rows.append(
            ExposureRow(
                f"{entity.get_kind_display()} {entity.name}",
                None if shared else lines.get(entity.pk),
                entity,
                shared,
            )
        )
    return Exposure(rows)


@dataclass(frozen=True)
class SharedLine:
    """An entity drawing on its owner households' lines: each household and its current line."""

    households: list[tuple[Household, CreditLine | None]]


def entity_shared_line(entity: BusinessEntity) -> SharedLine | None:
    """For an entity that shares its owner household's line (``engine.shares_household_line``),
    the households and their current lines; ``None`` for an entity with a line of its own."""
    owners = list(
        entity.owner_households.select_related("village")
        .annotate(head_name=head_name_subquery())
        .order_by("pk")
    )
    if not engine.shares_household_line(entity.kind, has_owner_household=bool(owners)):
        return None
    return SharedLine([(h, household_current_line(h.pk)) for h in owners])


def entity_no_line_reason(entity: BusinessEntity) -> str:
    """Why an entity rated on its own card has no current line, for staff (the engine's reason
    under the policy its current rating's run used): "" when it has no rating."""
    current = CurrentRating.objects.filter(business_entity=entity).select_related("result").first()
    if current is None:
        return ""

    run = RatingRun.objects.get(pk=current.run_id)
    version = policy_in_force(run.as_of, approved_by=run.created_at)
    if version is None:
        return f"{run.as_of:%Y-%m-%d}没有生效的授信政策"
    policy = version.policy
    result = current.result
    limit = engine.credit_limit(
        policy,
        engine.LimitInputs(
            grade=result.grade,
            grants_credit=result.grade in granting_grades(run)[result.kind],
            knocked_out=result.knocked_out,
            net_annual_income=engine.entity_net_profit(
                policy,
                kind=entity.kind,
                revenue=entity.annual_revenue,
                costs=entity.annual_costs,
            ),
            net_assets=entity.total_assets - entity.total_liabilities,
            subject=engine.ENTITY,
        ),
    )
    return limit.reason if not limit.granted else ""


def subject_names(lines: Any) -> dict[int, str]:
    """How a list names each line's subject: a household by its village and its head's masked
    name (罗家坪村 罗**户, ``households.selectors.household_name``), a business by its name;
    keyed by line id."""
    lines = list(lines)
    households = household_names(line.household_id for line in lines)
    return {
        line.pk: households.get(line.household_id, "")
        if line.household_id
        else (line.business_entity.name if line.business_entity else "")
        for line in lines
    }
