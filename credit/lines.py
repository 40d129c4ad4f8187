"""Credit lines for a rated village: written beside its rating results, inside the chunk's
transaction (a rating *chunk step*, registered from ``CreditConfig.ready()``).

For every subject the run rated in the village, the line follows from the rating result, the
archive's figures and contribution, the subject's approved override if any — unless the run
rates the subject below the grade or cap the override was approved under
(``override_outlived``: the line is then the engine's, and the publish sets the override
待复核) — and the policy version in force on the run's as-of date (``credit.engine``: limit,
then rate). Only subjects granted a limit get a line. A business entity is limited on its own
basis (the policy's entity caps and multiples of net operating profit and net assets; nothing
under a version without entity rules), and an individual business, family farm or large
grower linked to its owner's household gets no line at all: it draws on the household's
(``engine.shares_household_line``). A line carries the previous current line's validity (a
3-year term is not restarted by a re-rating) and takes its status from the subject's hold, if
any (``CreditHold``: suspended or revoked; re-applied at publish by ``services.holds_apply``).

Two paths compute the same lines: on PostgreSQL the policy is compiled into one
``INSERT … SELECT`` per subject kind (no row travels to Python); elsewhere (SQLite) the
Python engine does it row by row.
``credit/tests/test_lines.py`` requires both to write identical lines.
"""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q

from credit import engine
from credit.models import (
    CreditHold,
    CreditLine,
    CreditOverride,
    CreditPolicyVersion,
    CreditSimulation,
    LineStatus,
)
from credit.policy_selectors import policy_in_force
from fuxiang import prepared
from households.models import BusinessEntity, Household
from rating.batch import card_stamp, engine_card
from rating.features import net_annual_income, net_assets
from rating.features_sql import HOUSEHOLD_FEATURE_SQL
from rating.models import CurrentRating, RatingResult, RatingRun

LINE_COLUMNS = (
    "run_id",
    "village_id",
    "rating_result_id",
    "household_id",
    "business_entity_id",
    "policy_id",
    "override_id",
    "grade",
    "amount",
    "online_eligible",
    "cap",
    "by_income",
    "by_assets",
    "binding",
    "rate_bp",
    "lpr_bp",
    "spread_bp",
    "deposit_bp",
    "payroll_bp",
    "mobile_bp",
    "clean_bp",
    "cap_back_bp",
    "low_income_bp",
    "floor_bp",
    "ceiling_bp",
    "valid_from",
    "valid_to",
    "status",
    "status_reason",
    "status_changed_at",
)
CARRIED = (LineStatus.SUSPENDED, LineStatus.REVOKED)  # their validity carries over too


class NoPolicy(Exception):
    """No approved credit policy is in force on the run's date."""


def policy_for(run: RatingRun) -> CreditPolicyVersion:
    """The approved policy version in force on the run's as-of date — or, for a what-if, the
    version the simulation names (a draft, for head office). Only versions approved before the
    run started count, so every chunk of a run grants under the same version whichever worker
    rates it and whenever (a version approved meanwhile applies from the next run); each
    worker looks it up once per run."""
    return _policy_of_run(run.pk, run.created_at, run.as_of, run.simulation)


@functools.lru_cache(maxsize=16)
def _policy_of_run(
    run_id: int, created_at: datetime, as_of: date, simulation: bool
) -> CreditPolicyVersion:
    if simulation:
        chosen = (
            CreditSimulation.objects.filter(run_id=run_id).values_list("policy", flat=True).first()
        )
        if chosen is not None:
            return CreditPolicyVersion.objects.get(pk=chosen)
    version = policy_in_force(as_of, approved_by=created_at)
    if version is None:
        raise NoPolicy(f"{as_of:%Y-%m-%d}没有生效的授信政策")
    return version


def granting_grades(run: RatingRun) -> dict[str, list[str]]:
    """Per subject kind, the grades whose band grants credit on the run's cards."""
    cards = {
        "household": run.household_card_id,
        "enterprise": run.enterprise_card_id,
        "agricultural": run.agricultural_card_id,
    }
    return {
        kind: [b.grade for b in engine_card(card_id, card_stamp(run)).grades if b.grants_credit]
        for kind, card_id in cards.items()
    }


def lines_write(run: RatingRun, village_id: int) -> int:
    """The rating chunk step: replace the lines of (run, village) with lines from its results.
    Returns the number of lines written."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {CreditLine._meta.db_table} "  # noqa: S608
            "WHERE run_id = %s AND village_id = %s",
            [run.pk, village_id],
        )
    try:
        version = policy_for(run)
    except NoPolicy:
        return 0  # ratings before the first policy grant nothing (the run still publishes)
    if connection.vendor == "postgresql":
        return _write_sql(run, village_id, version)
    return _write_python(run, village_id, version)


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, the day clamped to the month's end (as PostgreSQL's
    ``date + interval 'n months'``)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- the Python path --------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What a line is made from, read for one rated subject. ``income`` is a household's net
    annual income, an entity's net operating profit."""

    result_id: int
    household_id: int | None
    entity_id: int | None
    kind: str
    grade: str
    knocked_out: bool
    income: Decimal
    assets: Decimal
    deposit: Decimal
    payroll: bool
    mobile: bool
    clean: bool
    low_income: bool
    override: CreditOverride | None
    previous: CreditLine | None
    hold: CreditHold | None = None
    shares_household_line: bool = False  # an entity drawing on its owner household's line


def line_for(
    subject: Subject,
    *,
    policy: engine.CreditPolicy,
    granting: list[str],
    as_of: date,
) -> dict[str, Any] | None:
    """The line for one subject as column values (without run, village and policy), or
    ``None`` when the subject is granted no limit. The reference the SQL path must match."""
    if subject.shares_household_line:
        return None  # one exposure, one limit: the household's line
    override = subject.override
    if override is not None and override_outlived(
        override, grade=subject.grade, knocked_out=subject.knocked_out, policy=policy
    ):
        override = None  # rated below what it was approved for: the engine's line
    grade = override.grade if override and override.kind == "grade" else subject.grade
    kind = engine.ENTITY if subject.entity_id is not None else engine.HOUSEHOLD
    limit = engine.credit_limit(
        policy,
        engine.LimitInputs(
            grade=grade,
            grants_credit=grade in granting,
            knocked_out=subject.knocked_out,
            net_annual_income=subject.income,
            net_assets=subject.assets,
            subject=kind,
        ),
    )
    amount, binding = limit.amount, limit.binding
    if subject.knocked_out or grade not in granting or grade in engine.NO_CREDIT_GRADES:
        return None  # a knock-out stands whatever the override
    basis = engine.limit_basis(policy, kind)
    if basis is None:
        return None  # a version without entity rules grants entities nothing
    cap = basis.caps.get(grade)
    if cap is None:
        return None
    if override and override.kind == "limit" and override.amount is not None:
        amount, binding = override.amount, "override"
    if amount <= 0:
        return None
    rate = engine.credit_rate(
        policy,
        engine.PriceInputs(
            grade=grade,
            limit=amount,
            avg_daily_deposit=subject.deposit,
            payroll_agency=subject.payroll,
            mobile_banking_active=subject.mobile,
            clean_repayment=subject.clean,
            low_income=subject.low_income,
        ),
    )
    terms = {t.code: int(t.value) for t in rate.terms}
    previous = subject.previous
    carry = (
        previous is not None
        and previous.status in (LineStatus.ACTIVE, *CARRIED)
        and previous.valid_to >= as_of
    )
    valid_from = previous.valid_from if carry and previous else as_of
    hold = subject.hold
    return {
        "rating_result_id": subject.result_id,
        "household_id": subject.household_id,
        "business_entity_id": subject.entity_id,
        "override_id": override.pk if override else None,
        "grade": grade,
        "amount": amount,
        "online_eligible": policy.online_min <= amount <= policy.online_max,
        "cap": cap,
        "by_income": subject.income * basis.income_multiple,
        "by_assets": subject.assets * basis.asset_multiple,
        "binding": binding,
        "rate_bp": rate.rate_bp,
        "lpr_bp": terms.get("lpr", 0),
        "spread_bp": terms.get("grade_spread", 0),
        "deposit_bp": terms.get("deposit", 0),
        "payroll_bp": terms.get("payroll", 0),
        "mobile_bp": terms.get("mobile_banking", 0),
        "clean_bp": terms.get("clean_history", 0),
        "cap_back_bp": terms.get("contribution_cap", 0),
        "low_income_bp": terms.get("low_income", 0),
        "floor_bp": terms.get("floor", 0),
        "ceiling_bp": terms.get("ceiling", 0),
        "valid_from": valid_from,
        "valid_to": add_months(valid_from, policy.validity_months),
        "status": hold.status if hold else LineStatus.ACTIVE,
        "status_reason": hold.reason if hold else "",
        "status_changed_at": hold.held_at if hold else None,
    }


def override_outlived(
    override: CreditOverride, *, grade: str, knocked_out: bool, policy: engine.CreditPolicy
) -> str:
    """Why an approved override no longer applies to its subject, now rated ``grade`` under
    ``policy`` (a sentence for staff), or ``""`` while it does (``engine.override_outlived``;
    ``_override_applies_sql`` is its SQL twin)."""
    approved = engine.ApprovedUnder(override.approved_grade, override.approved_cap or Decimal(0))
    subject = engine.HOUSEHOLD if override.business_entity_id is None else engine.ENTITY
    basis = engine.limit_basis(policy, subject)  # an entity's override: the entity caps
    cap = basis.caps.get(grade) if basis is not None else None
    return engine.override_outlived(approved, grade=grade, knocked_out=knocked_out, cap=cap)


def _write_python(run: RatingRun, village_id: int, version: CreditPolicyVersion) -> int:
    policy, granting = version.policy, granting_grades(run)
    lines = []
    for subject in _subjects(run, village_id, policy):
        values = line_for(subject, policy=policy, granting=granting[subject.kind], as_of=run.as_of)
        if values is not None:
            lines.append(
                CreditLine(run_id=run.pk, village_id=village_id, policy_id=version.pk, **values)
            )
    CreditLine.objects.bulk_create(lines, batch_size=500)
    return len(lines)


def _subjects(run: RatingRun, village_id: int, policy: engine.CreditPolicy) -> list[Subject]:
    results = list(
        RatingResult.objects.filter(run_id=run.pk, village_id=village_id).select_related(
            "household", "business_entity"
        )
    )
    overrides = {
        (o.household_id, o.business_entity_id): o
        for o in CreditOverride.objects.filter(status="approved", valid_until__gte=run.as_of)
    }
    current = {
        (c.household_id, c.business_entity_id): c.result_id
        for c in CurrentRating.objects.filter(household__village_id=village_id).only(
            "household_id", "business_entity_id", "result_id"
        )
    } | {
        (c.household_id, c.business_entity_id): c.result_id
        for c in CurrentRating.objects.filter(business_entity__village_id=village_id).only(
            "household_id", "business_entity_id", "result_id"
        )
    }
    previous = {
        line.rating_result_id: line
        for line in CreditLine.objects.filter(rating_result_id__in=list(current.values()))
    }
    holds = {
        (h.household_id, h.business_entity_id): h
        for h in CreditHold.objects.filter(
            Q(household__village_id=village_id) | Q(business_entity__village_id=village_id)
        )
    }
    owned = set(
        BusinessEntity.owner_households.through.objects.filter(
            businessentity__village_id=village_id
        ).values_list("businessentity_id", flat=True)
    )
    subjects = []
    for r in results:
        key = (r.household_id, r.business_entity_id)
        before = previous.get(current.get(key, -1))
        if r.household is not None:
            h = r.household
            subjects.append(
                Subject(
                    result_id=r.pk,
                    household_id=h.pk,
                    entity_id=None,
                    kind=r.kind,
                    grade=r.grade,
                    knocked_out=r.knocked_out,
                    income=net_annual_income(h) or Decimal(0),
                    assets=net_assets(h) or Decimal(0),
                    deposit=h.avg_daily_deposit_here,
                    payroll=h.payroll_agency,
                    mobile=h.mobile_banking_active,
                    clean=h.overdue_count_24m == 0 and not h.has_outstanding_overdue,
                    low_income=bool(set(r.flags) & LOW_INCOME_FLAGS),
                    override=overrides.get(key),
                    previous=before,
                    hold=holds.get(key),
                )
            )
        elif (e := r.business_entity) is not None:
            subjects.append(
                Subject(
                    result_id=r.pk,
                    household_id=None,
                    entity_id=e.pk,
                    kind=r.kind,
                    grade=r.grade,
                    knocked_out=r.knocked_out,
                    income=engine.entity_net_profit(
                        policy, kind=e.kind, revenue=e.annual_revenue, costs=e.annual_costs
                    )
                    or Decimal(0),
                    assets=e.total_assets - e.total_liabilities,
                    deposit=Decimal(0),
                    payroll=False,
                    mobile=False,
                    clean=False,
                    low_income=False,
                    override=overrides.get(key),
                    previous=before,
                    hold=holds.get(key),
                    shares_household_line=engine.shares_household_line(
                        e.kind, has_owner_household=e.pk in owned
                    ),
                )
            )
    return subjects


LOW_INCOME_FLAGS = frozenset({"dibao", "poverty_alleviated"})


# --- the SQL path (PostgreSQL) ----------------------------------------------------------------


def _num(value: Decimal | int) -> str:
    return f"{Decimal(value)}::numeric"


def _grade_case(mapping: Any, column: str, *, numeric: bool) -> str:
    whens = " ".join(
        f"WHEN '{grade}' THEN {_num(v) if numeric else int(v)}" for grade, v in mapping.items()
    )
    return f"(CASE {column} {whens} END)" if whens else "NULL"


def _grade_rank_sql(column: str) -> str:
    whens = " ".join(f"WHEN '{grade}' THEN {engine.grade_rank(grade)}" for grade in engine.GRADES)
    return f"(CASE {column} {whens} ELSE {len(engine.GRADES)} END)"


def _override_applies_sql(caps: Any, result: str, override: str) -> str:
    """``override_outlived`` negated, in SQL: the result (alias ``result``) is not knocked out,
    its grade is no worse and its cap (``caps``: the subject's under the policy) no lower than
    the override's (alias ``override``) approval recorded."""
    cap = _grade_case(caps, f"{result}.grade", numeric=True)
    return (
        f"NOT {result}.knocked_out"
        f" AND {_grade_rank_sql(f'{result}.grade')}"
        f" <= {_grade_rank_sql(f'{override}.approved_grade')}"
        f" AND COALESCE({cap}, 0::numeric) >= {override}.approved_cap"
    )


def _write_sql(run: RatingRun, village_id: int, version: CreditPolicyVersion) -> int:
    policy, granting = version.policy, granting_grades(run)
    written = 0
    # a version without entity rules grants entities nothing: no statement for them
    kinds = ("household", "entity") if policy.has_entity_rules else ("household",)
    with connection.cursor() as cursor:
        for kind in kinds:
            prepared.execute(
                cursor,
                _insert_sql(policy, kind),
                {
                    "run": run.pk,
                    "village": village_id,
                    "policy": version.pk,
                    "as_of": run.as_of,
                    "granting_household": granting["household"],
                    "granting_enterprise": granting["enterprise"],
                    "granting_agricultural": granting["agricultural"],
                    "no_credit": sorted(engine.NO_CREDIT_GRADES),
                },
            )
            written += cursor.rowcount
    return written


def _entity_profit_sql(policy: engine.CreditPolicy) -> str:
    """``engine.entity_net_profit`` of ``e`` (0 where it is unknown, as the Python path)."""
    margins = " ".join(
        f"WHEN '{kind}' THEN {_num(margin)}"
        for kind, margin in (policy.entity_margins or {}).items()
    )
    margin = f"(CASE e.kind {margins} END)" if margins else "NULL::numeric"
    return (
        "COALESCE(CASE WHEN e.annual_costs IS NOT NULL THEN e.annual_revenue - e.annual_costs "
        f"ELSE e.annual_revenue * {margin} END, 0::numeric)"
    )


def _insert_sql(policy: engine.CreditPolicy, kind: str) -> str:
    """One statement writing the lines of a village's rated households (or entities): the
    engine's ``credit_limit`` and ``credit_rate`` with the policy's numbers as literals (an
    entity's on its own basis; an entity sharing its household's line gets none)."""
    results = RatingResult._meta.db_table
    lines = CreditLine._meta.db_table
    current = CurrentRating._meta.db_table
    overrides = CreditOverride._meta.db_table
    holds = CreditHold._meta.db_table
    basis = engine.limit_basis(policy, engine.HOUSEHOLD if kind == "household" else engine.ENTITY)
    assert basis is not None  # noqa: S101  (entities are written only under entity rules)
    shared = ""
    if kind == "household":
        subject = "household_id"
        join = f"JOIN {Household._meta.db_table} h ON h.id = r.household_id"
        figures = f"""
            ({HOUSEHOLD_FEATURE_SQL["net_annual_income"][0]}) AS income,
            ({HOUSEHOLD_FEATURE_SQL["net_assets"][0]}) AS assets,
            h.avg_daily_deposit_here AS deposit, h.payroll_agency AS payroll,
            h.mobile_banking_active AS mobile,
            (h.overdue_count_24m = 0 AND NOT h.has_outstanding_overdue) AS clean,
            (r.flags ?| ARRAY['dibao', 'poverty_alleviated']) AS low_income,
            %(granting_household)s::text[] AS granting"""
    else:
        subject = "business_entity_id"
        join = f"JOIN {BusinessEntity._meta.db_table} e ON e.id = r.business_entity_id"
        figures = f"""
            {_entity_profit_sql(policy)} AS income,
            (e.total_assets - e.total_liabilities) AS assets,
            0::numeric AS deposit, FALSE AS payroll, FALSE AS mobile, FALSE AS clean,
            FALSE AS low_income,
            CASE r.kind WHEN 'enterprise' THEN %(granting_enterprise)s::text[]
                 ELSE %(granting_agricultural)s::text[] END AS granting"""
        owners = BusinessEntity.owner_households.through._meta.db_table
        kinds = ", ".join(f"'{k}'" for k in sorted(engine.SHARED_LINE_KINDS))
        shared = f"""
            AND NOT (e.kind IN ({kinds}) AND EXISTS (
                SELECT 1 FROM {owners} oh WHERE oh.businessentity_id = e.id))"""  # noqa: S608
    p = policy
    unit = _num(p.rounding_unit)
    tiers = ", ".join(
        f"CASE WHEN a.deposit >= {_num(share)} * a.amount THEN {int(bp)} ELSE 0 END"
        for share, bp in p.deposit_discounts
    )
    deposit = f"CASE WHEN a.deposit > 0 AND a.amount > 0 THEN GREATEST(0, {tiers}) ELSE 0 END"
    if not p.deposit_discounts:
        deposit = "0"
    columns = ", ".join(LINE_COLUMNS)
    return f"""
        INSERT INTO {lines} ({columns})
        SELECT %(run)s, %(village)s, c.result_id,
               {"c.subject_id" if kind == "household" else "NULL"},
               {"c.subject_id" if kind != "household" else "NULL"},
               %(policy)s, c.override_id, c.grade, c.amount,
               c.amount >= {_num(p.online_min)} AND c.amount <= {_num(p.online_max)},
               c.cap, c.by_income, c.by_assets, c.binding,
               c.pre + c.floor_bp + LEAST({p.ceiling_bp} - (c.pre + c.floor_bp), 0),
               {p.lpr_bp}, c.spread_bp, -c.deposit_disc, -c.payroll_bp, -c.mobile_bp, -c.clean_bp,
               c.cap_back_bp, -c.low_income_bp, c.floor_bp,
               LEAST({p.ceiling_bp} - (c.pre + c.floor_bp), 0),
               c.valid_from, (c.valid_from + interval '{int(p.validity_months)} months')::date,
               COALESCE(c.hold_status, 'active'), COALESCE(c.hold_reason, ''), c.held_at
        FROM (
            SELECT b.*, GREATEST({p.floor_bp} - b.pre, 0) AS floor_bp FROM (
                SELECT a2.*,
                       {p.lpr_bp} + a2.spread_bp - a2.discount + a2.cap_back_bp
                       - a2.low_income_bp AS pre
                FROM (
                    SELECT a1.*,
                           GREATEST(a1.discount - {p.contribution_cap_bp}, 0) AS cap_back_bp
                    FROM (
                        SELECT a.*, ({deposit}) AS deposit_disc,
                               ({deposit}) + a.payroll_bp + a.mobile_bp + a.clean_bp
                               AS discount
                        FROM (
                            SELECT s.*,
                                   CASE WHEN s.override_amount IS NOT NULL
                                        THEN s.override_amount
                                        WHEN s.bound <= 0 THEN 0::numeric
                                        ELSE floor(s.bound / {unit}) * {unit} END AS amount,
                                   CASE WHEN s.override_amount IS NOT NULL THEN 'override'
                                        WHEN s.cap <= s.by_income AND s.cap <= s.by_assets
                                        THEN 'grade_cap'
                                        WHEN s.by_income <= s.by_assets
                                        THEN '{basis.income_code}'
                                        ELSE 'assets' END AS binding,
                                   {_grade_case(p.grade_spreads_bp, "s.grade", numeric=False)}
                                   AS spread_bp,
                                   CASE WHEN s.payroll THEN {p.payroll_bp} ELSE 0 END
                                   AS payroll_bp,
                                   CASE WHEN s.mobile THEN {p.mobile_banking_bp} ELSE 0 END
                                   AS mobile_bp,
                                   CASE WHEN s.clean THEN {p.clean_history_bp} ELSE 0 END
                                   AS clean_bp,
                                   CASE WHEN s.low_income THEN {p.low_income_bp} ELSE 0 END
                                   AS low_income_bp
                            FROM (
                                SELECT t.*,
                                       {_grade_case(basis.caps, "t.grade", numeric=True)}
                                       AS cap,
                                       t.income * {_num(basis.income_multiple)} AS by_income,
                                       t.assets * {_num(basis.asset_multiple)} AS by_assets,
                                       LEAST({_grade_case(basis.caps, "t.grade", numeric=True)},
                                             t.income * {_num(basis.income_multiple)},
                                             t.assets * {_num(basis.asset_multiple)}) AS bound
                                FROM (
                                    SELECT r.id AS result_id, r.{subject} AS subject_id,
                                           r.knocked_out,
                                           CASE WHEN o.kind = 'grade' THEN o.grade
                                                ELSE r.grade END AS grade,
                                           o.id AS override_id,
                                           CASE WHEN o.kind = 'limit' THEN o.amount END
                                           AS override_amount,
                                           ho.status AS hold_status,
                                           ho.reason AS hold_reason,
                                           ho.held_at,
                                           CASE WHEN pl.status IN ('active', 'suspended',
                                                                   'revoked')
                                                     AND pl.valid_to >= %(as_of)s
                                                THEN pl.valid_from ELSE %(as_of)s::date END
                                           AS valid_from,
                                           {figures}
                                    FROM {results} r {join}
                                    LEFT JOIN {overrides} o ON o.{subject} = r.{subject}
                                         AND o.status = 'approved'
                                         AND o.valid_until >= %(as_of)s
                                         AND {_override_applies_sql(basis.caps, "r", "o")}
                                    LEFT JOIN {current} cr ON cr.{subject} = r.{subject}
                                    LEFT JOIN {lines} pl ON pl.rating_result_id = cr.result_id
                                    LEFT JOIN {holds} ho ON ho.{subject} = r.{subject}
                                    WHERE r.run_id = %(run)s AND r.village_id = %(village)s
                                      AND r.{subject} IS NOT NULL {shared}
                                    OFFSET 0
                                ) t
                                WHERE NOT t.knocked_out AND t.grade = ANY(t.granting)
                                  AND NOT t.grade = ANY(%(no_credit)s::text[])
                                OFFSET 0
                            ) s
                            WHERE s.cap IS NOT NULL
                            OFFSET 0
                        ) a
                        WHERE a.amount > 0
                        OFFSET 0
                    ) a1 OFFSET 0
                ) a2 OFFSET 0
            ) b OFFSET 0
        ) c
    """  # noqa: S608
