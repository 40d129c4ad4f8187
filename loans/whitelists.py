"""Building the whitelists (白名单): for each product, the subjects whose current credit line
is eligible for it, as temporal rows (``WhitelistEntry``: valid from version ``valid_from`` to,
not including, ``valid_to``).

A build compares, inside a scope (the whole county, some villages, some subjects), the lines
eligible now with the product's open entries, in two set-based statements per product and
kind of subject: close the open entries that left or changed (``valid_to = v``), insert the
eligible rows that have no identical open entry (``valid_from = v``). Unchanged subjects are not
written at all, so a one-village re-rating writes a few rows and a county re-run with the same
results writes none. Entries copy the line's figures (grade, amount, rate, end date), not its
id: a re-rating that writes an identical line changes nothing here.

Builds run on a worker: queued when a rating run publishes (``rating.hooks`` step), when
credit lines change status (``credit.signals.lines_changed``), when a product version is
approved, and nightly (which also renews the snapshot's expiry). Two builds of one product
take turns (the product's row is locked), and each compares with what is current when it
runs, so their order does not matter.

Eligibility (the SQL twin of ``loans.engine.rules.eligibility_reasons`` plus the line checks
of ``line_reasons``): a current line, active and not past its end, of a grade the product
admits, at least the product's minimum amount, online-eligible for an online product; the
subject's kind admitted; 惠农快贷 farming households (land or income share) and agricultural
entities; 公信贷 households with a public-employee member; closed households never.
``loans/tests/test_whitelists.py`` checks the SQL against the engine.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from credit.models import CreditLine
from fuxiang import pgsettings, pgstats
from households.models import BusinessEntity, Household, Member
from loans.engine.rules import AGRICULTURAL_KINDS, HOUSEHOLD, RULE_FARMING, RULE_PUBLIC_EMPLOYEE
from loans.models import (
    LoanProduct,
    LoanProductVersion,
    VersionStatus,
    WhitelistEntry,
    WhitelistVersion,
)
from loans.tasks import rebuild_whitelists as rebuild_whitelists_task
from rating.models import CurrentRating, RatingChunk, RatingRun, RunScope

ENTRY = WhitelistEntry._meta.db_table
LINE = CreditLine._meta.db_table
CURRENT = CurrentRating._meta.db_table
HOUSEHOLD_TABLE = Household._meta.db_table
ENTITY_TABLE = BusinessEntity._meta.db_table
MEMBER_TABLE = Member._meta.db_table
COMPARED = ("village_id", "grade", "amount", "rate_bp", "line_valid_to")


@dataclass(frozen=True)
class Scope:
    """What a build looks at: everything, or some villages and/or some subjects."""

    everything: bool = False
    village_ids: tuple[int, ...] = ()
    household_ids: tuple[int, ...] = ()
    entity_ids: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.everything or self.village_ids or self.household_ids or self.entity_ids)

    def to_json(self) -> dict[str, Any]:
        return {
            "everything": self.everything,
            "village_ids": list(self.village_ids),
            "household_ids": list(self.household_ids),
            "entity_ids": list(self.entity_ids),
        }


def whitelists_rebuild_on_commit(
    *,
    reason: str,
    everything: bool = False,
    village_ids: Iterable[int] = (),
    household_ids: Iterable[int] = (),
    entity_ids: Iterable[int] = (),
) -> None:
    """Queue a build on a worker once the current transaction commits."""
    scope = Scope(
        everything=everything,
        village_ids=tuple(sorted(set(village_ids))),
        household_ids=tuple(sorted(set(household_ids))),
        entity_ids=tuple(sorted(set(entity_ids))),
    )
    if scope.empty:
        return
    transaction.on_commit(
        lambda: rebuild_whitelists_task.delay(scope=scope.to_json(), reason=reason)
    )


def whitelists_rebuild(
    *,
    scope: Scope,
    reason: str,
    today: date | None = None,
    renew: bool = False,
    products: Sequence[LoanProduct] | None = None,
) -> list[WhitelistVersion]:
    """Rebuild every product's whitelist within ``scope``; one transaction per product.
    Returns the versions made (a product whose entries did not change gets none, unless
    ``renew`` asks for a fresh snapshot or it has none yet)."""
    today = today or timezone.localdate()
    # A build follows a publish that rewrote the county's ratings and lines seconds ago, and
    # it fills the entries itself, one product after another: planned with the statistics of
    # before (no entries, a line or two), the statements below can scan the entries once per
    # eligible line. Autovacuum would be too late (and is off on some servers), so the tables
    # are analysed here when stale.
    pgstats.analyze_if_stale(CURRENT, LINE, HOUSEHOLD_TABLE, ENTITY_TABLE, MEMBER_TABLE, ENTRY)
    made = []
    for product in products or LoanProduct.objects.order_by("pk"):
        version = _rebuild_product(product, scope=scope, reason=reason, today=today, renew=renew)
        if version is not None:
            made.append(version)
        pgstats.analyze_if_stale(ENTRY)  # the next product's build reads what this one wrote
    return made


@transaction.atomic
def _rebuild_product(
    product: LoanProduct, *, scope: Scope, reason: str, today: date, renew: bool
) -> WhitelistVersion | None:
    started = time.perf_counter()
    product = LoanProduct.objects.select_for_update().get(pk=product.pk)
    terms = LoanProductVersion.objects.filter(
        product=product, status=VersionStatus.APPROVED
    ).first()
    last = WhitelistVersion.objects.filter(product=product).order_by("-number").first()
    number = (last.number if last else 0) + 1
    with connection.cursor() as cursor:
        if scope.everything:
            # A county's lines are checked against the product's open entries by a hash
            # anti-join. Planned for an empty entries table (a product's first build — right
            # after the analyse above, so the statistics are exact), the planner prefers a
            # nested loop scanning the table for every eligible line, and the INSERT then
            # scans its own new rows too (invisible to it, still read): 87 s for 100,000 lines
            # of a county's first build, against under a second.
            pgsettings.set_local(cursor, enable_nestloop="off")
        for kind in ("household", "entity"):
            eligible, params = _eligible_sql(terms, kind, scope, today)
            _close(cursor, product.pk, number, kind, scope, eligible, params)
            _insert(cursor, product.pk, number, kind, eligible, params)
        pgsettings.restore_local()
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {ENTRY} WHERE product_id = %s AND valid_from = %s),"  # noqa: S608 (constant table names; values are parameters)
            f" (SELECT COUNT(*) FROM {ENTRY} WHERE product_id = %s AND valid_to = %s)",
            [product.pk, number] * 2,
        )
        inserted, closed = cursor.fetchone()
        changed = 0
        if inserted and closed:
            for column in ("household_id", "business_entity_id"):
                cursor.execute(
                    f"SELECT COUNT(*) FROM {ENTRY} n JOIN {ENTRY} o"  # noqa: S608 (constant table names; values are parameters)
                    f" ON o.{column} = n.{column} AND o.product_id = n.product_id"
                    " WHERE n.product_id = %s AND n.valid_from = %s AND o.valid_to = %s",
                    [product.pk, number, number],
                )
                changed += cursor.fetchone()[0]
    counts = {"added": inserted - changed, "changed": changed, "removed": closed - changed}
    if not (inserted or closed or renew or last is None):
        return None
    total = (last.total if last else 0) + counts["added"] - counts["removed"]
    return WhitelistVersion.objects.create(
        product=product,
        number=number,
        expires_at=timezone.now() + timedelta(days=settings.LOANS_WHITELIST_TTL_DAYS),
        reason=reason[:200],
        total=total,
        seconds=time.perf_counter() - started,
        **counts,
    )


def _in(column: str, ids: Sequence[Any], params: list[Any]) -> str:
    params.extend(ids)
    return f"{column} IN ({', '.join(['%s'] * len(ids))})"


def _scope_sql(
    scope: Scope, kind: str, *, village: str, subject: str, params: list[Any]
) -> str | None:
    """The scope as a condition on the columns ``village`` and ``subject``; ``None`` for
    everything."""
    if scope.everything:
        return None
    ids = scope.household_ids if kind == "household" else scope.entity_ids
    parts = []
    if scope.village_ids:
        parts.append(_in(village, scope.village_ids, params))
    if ids:
        parts.append(_in(subject, ids, params))
    return "(" + " OR ".join(parts) + ")" if parts else "1 = 0"


def _eligible_sql(
    terms: LoanProductVersion | None, kind: str, scope: Scope, today: date
) -> tuple[str, list[Any]]:
    """SELECT subject, village_id, grade, amount, rate_bp, line_valid_to of the eligible lines
    of one kind of subject within the scope."""
    kinds = list(terms.subject_kinds) if terms else []
    entity_kinds = [k for k in kinds if k != HOUSEHOLD]
    if terms is not None and terms.rule == RULE_FARMING:
        entity_kinds = [k for k in entity_kinds if k in AGRICULTURAL_KINDS]
    elif terms is not None and terms.rule == RULE_PUBLIC_EMPLOYEE:
        entity_kinds = []  # public employees are people: households only
    if terms is None or (HOUSEHOLD not in kinds if kind == "household" else not entity_kinds):
        return _nothing(), []
    params: list[Any] = [today]
    where = ["l.status = 'active'", "l.valid_to >= %s", _in("l.grade", list(terms.grades), params)]
    where.append("l.amount >= %s")
    params.append(terms.min_amount)
    if terms.online:
        where.append("l.online_eligible = %s")
        params.append(True)
    if kind == "household":
        where.append("s.status <> 'closed'")
        if terms.rule == RULE_FARMING:
            income = (
                "(s.income_crops + s.income_livestock + s.income_business + s.income_wages"
                " + s.income_other)"
            )
            where.append(
                f"(s.land_contracted_mu >= %s OR ({income} > 0"
                f" AND s.income_crops + s.income_livestock >= %s * {income}))"
            )
            params += [terms.farming_land_mu, terms.farming_income_share]
        elif terms.rule == RULE_PUBLIC_EMPLOYEE:
            where.append(
                f"EXISTS (SELECT 1 FROM {MEMBER_TABLE} m WHERE m.household_id = s.id"  # noqa: S608 (constant table names; values are parameters)
                " AND m.is_public_employee = %s)"
            )
            params.append(True)
        subject, table, column = "c.household_id", HOUSEHOLD_TABLE, "household_id"
    else:
        where.append(_in("s.kind", entity_kinds, params))
        subject, table, column = "c.business_entity_id", ENTITY_TABLE, "business_entity_id"
    in_scope = _scope_sql(scope, kind, village="s.village_id", subject="s.id", params=params)
    if in_scope is not None:
        where.append(in_scope)
    sql = (
        f"SELECT {subject} AS subject_id, s.village_id AS village_id, l.grade AS grade,"  # noqa: S608 (constant table names; values are parameters)
        " l.amount AS amount, l.rate_bp AS rate_bp, l.valid_to AS line_valid_to"
        f" FROM {CURRENT} c JOIN {table} s ON s.id = {subject}"
        f" JOIN {LINE} l ON l.rating_result_id = c.result_id"
        f" WHERE c.{column} IS NOT NULL AND " + " AND ".join(where)
    )
    return sql, params


def _nothing() -> str:
    return (
        "SELECT CAST(NULL AS BIGINT) AS subject_id, CAST(NULL AS INTEGER) AS village_id,"
        " CAST(NULL AS VARCHAR(8)) AS grade, CAST(NULL AS NUMERIC(14, 2)) AS amount,"
        " CAST(NULL AS INTEGER) AS rate_bp, CAST(NULL AS DATE) AS line_valid_to WHERE 1 = 0"
    )


def _subject_column(kind: str) -> str:
    return "household_id" if kind == "household" else "business_entity_id"


def _close(
    cursor: Any,
    product_id: int,
    number: int,
    kind: str,
    scope: Scope,
    eligible: str,
    eligible_params: list[Any],
) -> None:
    """Open entries in the scope (or of a subject eligible now, wherever it was) that are not
    identical to an eligible row end at version ``number``."""
    column = _subject_column(kind)
    params: list[Any] = [number, product_id]
    in_scope = _scope_sql(scope, kind, village=f"{ENTRY}.village_id", subject=column, params=params)
    where = ""
    if in_scope is not None:
        where = f" AND ({in_scope} OR {column} IN (SELECT e.subject_id FROM ({eligible}) e))"  # noqa: S608 (constant table names; values are parameters)
        params += eligible_params
    same = " AND ".join(f"e.{c} = {ENTRY}.{c}" for c in COMPARED)
    sql = (
        f"UPDATE {ENTRY} SET valid_to = %s WHERE product_id = %s AND valid_to IS NULL"  # noqa: S608 (constant table names; values are parameters)
        f" AND {column} IS NOT NULL{where}"
        f" AND NOT EXISTS (SELECT 1 FROM ({eligible}) e"
        f" WHERE e.subject_id = {ENTRY}.{column} AND {same})"
    )
    cursor.execute(sql, params + eligible_params)


def _insert(
    cursor: Any, product_id: int, number: int, kind: str, eligible: str, params: list[Any]
) -> None:
    column = _subject_column(kind)
    sql = (
        f"INSERT INTO {ENTRY} (product_id, {column}, village_id, grade, amount, rate_bp,"  # noqa: S608 (constant table names; values are parameters)
        " line_valid_to, valid_from, valid_to)"
        f" SELECT %s, e.subject_id, e.village_id, e.grade, e.amount, e.rate_bp,"
        f" e.line_valid_to, %s, NULL FROM ({eligible}) e WHERE NOT EXISTS (SELECT 1 FROM"
        f" {ENTRY} w WHERE w.product_id = %s AND w.valid_to IS NULL"
        f" AND w.{column} = e.subject_id)"
    )
    cursor.execute(sql, [product_id, number, *params, product_id])


# --- reads ------------------------------------------------------------------------------------


def whitelist_current_number(product_id: int) -> int | None:
    return WhitelistVersion.objects.filter(product_id=product_id).aggregate(n=Max("number"))["n"]


def whitelists_rebuild_for_run(*, run_id: int) -> list[WhitelistVersion]:
    """After a run published: everything for a county run, its villages for a township, grid
    or village run, its subjects for a subjects run (re-ratings)."""

    run = RatingRun.objects.get(pk=run_id)
    if run.scope == RunScope.COUNTY:
        scope = Scope(everything=True)
    elif run.scope == RunScope.SUBJECTS:
        scope = Scope(
            household_ids=tuple(run.household_ids or ()), entity_ids=tuple(run.entity_ids or ())
        )
    else:
        villages = RatingChunk.objects.filter(run=run).values_list("village_id", flat=True)
        scope = Scope(village_ids=tuple(sorted(villages)))
    return whitelists_rebuild(scope=scope, reason=f"评级任务#{run.pk}发布")
