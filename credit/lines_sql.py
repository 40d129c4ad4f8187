"""Credit lines on PostgreSQL: the policy compiled into one ``INSERT … SELECT`` per subject
kind, so no row travels to Python."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from django.db import connection

from credit import engine
from credit.line_basis import LINE_COLUMNS, granting_grades
from credit.models import (
    CreditHold,
    CreditLine,
    CreditOverride,
    CreditPolicyVersion,
)
from fuxiang import prepared
from households.models import BusinessEntity, Household
from rating.features_sql import HOUSEHOLD_FEATURE_SQL
from rating.models import CurrentRating, RatingResult, RatingRun

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


def write_sql(
    run: RatingRun,
    village_id: int,
    version: CreditPolicyVersion,
    policy: engine.CreditPolicy | None = None,
    *,
    before: str = "",
) -> int:
    """``policy``: ``version``'s terms already parsed (``line_basis.policy_terms``). One
    statement for the village's households and entities; ``before``: statements without
    parameters sent ahead of it in the same round trip (``lines.lines_write``'s removal of
    the lines of an earlier try)."""
    policy = policy if policy is not None else version.policy
    granting = granting_grades(run)
    # a version without entity rules grants entities nothing: no SELECT for them
    kinds = ("household", "entity") if policy.has_entity_rules else ("household",)
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            _insert_sql(policy, kinds),
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
            generic=_planned_once(run.pk),
            before=before,
        )
        return int(cursor.rowcount)


# The statement joins the run's results to the current ratings, the lines before them, the
# households, overrides and holds — each by its key, one probe per result, when the planner
# knows these tables are large. Planned for every village it cost ~1.5 ms of a village's
# ~10; planned once per worker, it must not be planned while the statistics still take a
# table for empty (a county's first run on a new server: the plan then scans the current
# ratings once per result, harmless while there are none, ruinous once there are). So the
# plan is kept only where every table the statement probes is known to hold rows.
_KNOWN_ROWS = 10_000


@functools.lru_cache(maxsize=16)
def _planned_once(run_id: int) -> bool:
    """Whether the lines statement may keep one plan for this run (see above): asked once
    per run and worker."""
    tables = [
        RatingResult._meta.db_table,
        CurrentRating._meta.db_table,
        CreditLine._meta.db_table,
        Household._meta.db_table,
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(MIN(reltuples), -1) FROM pg_class WHERE relname = ANY(%s)", [tables]
        )
        return float(cursor.fetchone()[0]) >= _KNOWN_ROWS


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


def _insert_sql(policy: engine.CreditPolicy, kinds: tuple[str, ...]) -> str:
    """One statement writing the lines of a village's rated subjects of ``kinds``
    (``household``, ``entity``)."""
    lines = CreditLine._meta.db_table
    columns = ", ".join(LINE_COLUMNS)
    selects = " UNION ALL ".join(_select_sql(policy, kind) for kind in kinds)
    return f"""
        INSERT INTO {lines} ({columns})
        {selects}
    """


def _select_sql(policy: engine.CreditPolicy, kind: str) -> str:
    """The line rows of a village's rated households (or entities): the engine's
    ``credit_limit`` and ``credit_rate`` with the policy's numbers as literals (an entity's on
    its own basis; an entity sharing its household's line gets none)."""
    results = RatingResult._meta.db_table
    lines = CreditLine._meta.db_table
    current = CurrentRating._meta.db_table
    overrides = CreditOverride._meta.db_table
    holds = CreditHold._meta.db_table
    basis = engine.limit_basis(policy, engine.HOUSEHOLD if kind == "household" else engine.ENTITY)
    assert basis is not None  # noqa: S101  (entities are written only under entity rules)
    shared = ""
    # the grades that grant the result's kind of subject a line, on the run's cards
    granting = (
        "%(granting_household)s::text[]"
        if kind == "household"
        else "CASE r.kind WHEN 'enterprise' THEN %(granting_enterprise)s::text[] "
        "ELSE %(granting_agricultural)s::text[] END"
    )
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
            {granting} AS granting"""
    else:
        subject = "business_entity_id"
        join = f"JOIN {BusinessEntity._meta.db_table} e ON e.id = r.business_entity_id"
        figures = f"""
            {_entity_profit_sql(policy)} AS income,
            (e.total_assets - e.total_liabilities) AS assets,
            0::numeric AS deposit, FALSE AS payroll, FALSE AS mobile, FALSE AS clean,
            FALSE AS low_income, {granting} AS granting"""
        owners = BusinessEntity.owner_households.through._meta.db_table
        kinds = ", ".join(f"'{k}'" for k in sorted(engine.SHARED_LINE_KINDS))
        shared = f"""
            AND NOT (e.kind IN ({kinds}) AND EXISTS (
                SELECT 1 FROM {owners} oh WHERE oh.businessentity_id = e.id))"""  # noqa: S608
    # Only a result that may be granted goes through the joins below (about two in three of
    # a village's): not knocked out, and of a granting grade — or with an approved grade
    # override, which may change its grade. The same tests follow the joins, on the grade
    # the override leaves; this only spares the others their four index probes each.
    granted = f"""
            AND NOT r.knocked_out
            AND ((r.grade = ANY({granting}) AND NOT r.grade = ANY(%(no_credit)s::text[]))
                 OR EXISTS (SELECT 1 FROM {overrides} og WHERE og.{subject} = r.{subject}
                            AND og.kind = 'grade' AND og.status = 'approved'))"""  # noqa: S608
    p = policy
    unit = _num(p.rounding_unit)
    tiers = ", ".join(
        f"CASE WHEN a.deposit >= {_num(share)} * a.amount THEN {int(bp)} ELSE 0 END"
        for share, bp in p.deposit_discounts
    )
    deposit = f"CASE WHEN a.deposit > 0 AND a.amount > 0 THEN GREATEST(0, {tiers}) ELSE 0 END"
    if not p.deposit_discounts:
        deposit = "0"
    return f"""
        SELECT %(run)s::bigint, %(village)s::bigint, c.result_id,
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
                                      AND r.{subject} IS NOT NULL {shared} {granted}
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
