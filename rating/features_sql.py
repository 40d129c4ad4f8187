"""Reading a village's archives for rating in bulk: one query for its households (members and
active watch-list matches aggregated in the same statement) and one for its business
entities, never a query per subject.

The rows become the plain ``HouseholdArchive`` / ``EnterpriseArchive`` values that
``rating.features`` turns into features, so the rules live in one place. Works on PostgreSQL
and SQLite (portable SQL: CASE aggregates instead of ``bool_or``/``string_agg``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection

from households.models import (
    BusinessEntity,
    Household,
    HouseholdStatus,
    Member,
    WatchlistEntityMatch,
    WatchlistKind,
    WatchlistMatch,
)
from rating.features import EnterpriseArchive, HouseholdArchive

MONEY_FIELDS = (
    "income_crops",
    "income_livestock",
    "income_business",
    "income_wages",
    "income_other",
    "annual_costs",
    "house_value",
    "livestock_value",
    "vehicles_value",
    "deposits",
    "other_assets",
    "loans_this_bank",
    "loans_other_banks",
    "private_loans",
    "avg_daily_deposit_here",
)
COUNT_FIELDS = (
    "other_lenders_count",
    "overdue_count_24m",
    "honours_count",
    "public_record_deductions",
)
FLAG_FIELDS = (
    "has_outstanding_overdue",
    "has_bad_loan",
    "is_dishonest_debtor",
    "has_criminal_record",
    "has_drug_gambling_flag",
)
WATCHLIST_KINDS = tuple(WatchlistKind.values)

# household_rows() builds HouseholdArchive positionally (it runs ~222,000 times a county run):
# this is the order it relies on, checked when the module is imported.
_ARCHIVE_ORDER = (
    "as_of",
    "head_birth_date",
    "head_health",
    "head_education",
    "member_labour_abilities",
    "house_ownership",
    *MONEY_FIELDS,
    "other_lenders_count",
    "overdue_count_24m",
    *FLAG_FIELDS,
    "committee_assessment",
    "honours_count",
    "public_record_deductions",
    "is_dibao",
    "is_poverty_alleviated",
    "watchlist_kinds",
)
if tuple(f.name for f in fields(HouseholdArchive)) != _ARCHIVE_ORDER:  # pragma: no cover
    raise ImportError("rating.features_sql: HouseholdArchive fields changed; update the reader")

ENTITY_MONEY_FIELDS = ("annual_revenue", "total_assets", "total_liabilities", "current_liabilities")


@dataclass(frozen=True)
class HouseholdRow:
    household_id: int
    ratable: bool  # consent given and not closed
    archive: HouseholdArchive | None  # None when not ratable (nothing more was read)


@dataclass(frozen=True)
class EntityRow:
    entity_id: int
    category: str
    archive: EnterpriseArchive


def _household_sql(subject_filter: str) -> str:
    h = Household._meta.db_table
    m = Member._meta.db_table
    w = WatchlistMatch._meta.db_table
    columns = ", ".join(f"h.{f}" for f in (*MONEY_FIELDS, *COUNT_FIELDS, *FLAG_FIELDS))
    kinds = ", ".join(
        f"MAX(CASE WHEN wm.kind = '{k}' THEN 1 ELSE 0 END) AS w_{k}" for k in WATCHLIST_KINDS
    )
    kind_columns = ", ".join(f"w.w_{k}" for k in WATCHLIST_KINDS)
    # The head's columns come out of the members' aggregate (MAX over the one head row), so
    # the members of the village are read once. Only table and column names are interpolated;
    # values are parameters.
    return f"""
        SELECT h.id, h.status, h.rating_consent, h.house_ownership, h.committee_assessment,
               {columns},
               m.head_birth, m.head_health, m.head_education,
               m.full_n, m.partial_n, m.dibao, m.poverty,
               {kind_columns}
        FROM {h} h
        LEFT JOIN (
            SELECT mm.household_id,
                   MAX(CASE WHEN mm.relation = 'head' THEN mm.birth_date END) AS head_birth,
                   MAX(CASE WHEN mm.relation = 'head' THEN mm.health END) AS head_health,
                   MAX(CASE WHEN mm.relation = 'head' THEN mm.education END) AS head_education,
                   SUM(CASE WHEN mm.labour_ability = 'full' THEN 1 ELSE 0 END) AS full_n,
                   SUM(CASE WHEN mm.labour_ability = 'partial' THEN 1 ELSE 0 END) AS partial_n,
                   MAX(CASE WHEN mm.is_dibao THEN 1 ELSE 0 END) AS dibao,
                   MAX(CASE WHEN mm.is_poverty_alleviated THEN 1 ELSE 0 END) AS poverty
            FROM {m} mm INNER JOIN {h} hm ON hm.id = mm.household_id
            WHERE hm.village_id = %s
            GROUP BY mm.household_id
        ) m ON m.household_id = h.id
        LEFT JOIN (
            SELECT wm.household_id, {kinds}
            FROM {w} wm INNER JOIN {h} hw ON hw.id = wm.household_id
            WHERE hw.village_id = %s AND wm.cleared_at IS NULL
            GROUP BY wm.household_id
        ) w ON w.household_id = h.id
        WHERE h.village_id = %s {subject_filter}
        ORDER BY h.id
    """  # noqa: S608


def _entity_sql(subject_filter: str) -> str:
    e = BusinessEntity._meta.db_table
    w = WatchlistEntityMatch._meta.db_table
    kinds = ", ".join(
        f"MAX(CASE WHEN wm.kind = '{k}' THEN 1 ELSE 0 END) AS w_{k}" for k in WATCHLIST_KINDS
    )
    kind_columns = ", ".join(f"w.w_{k}" for k in WATCHLIST_KINDS)
    money = ", ".join(f"e.{f}" for f in ENTITY_MONEY_FIELDS)
    return f"""
        SELECT e.id, e.category, e.kind, e.years_operating, {money}, e.employees, e.land_mu,
               e.cooperative_members, e.tax_compliant, {kind_columns}
        FROM {e} e
        LEFT JOIN (
            SELECT wm.business_entity_id, {kinds}
            FROM {w} wm INNER JOIN {e} ew ON ew.id = wm.business_entity_id
            WHERE ew.village_id = %s AND wm.cleared_at IS NULL
            GROUP BY wm.business_entity_id
        ) w ON w.business_entity_id = e.id
        WHERE e.village_id = %s {subject_filter}
        ORDER BY e.id
    """  # noqa: S608


def _in_filter(column: str, ids: Sequence[int] | None) -> tuple[str, list[int]]:
    if not ids:
        return "", []
    return f"AND {column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _converters() -> tuple[Callable[[Any], Decimal], Callable[[Any], date | None]]:
    """PostgreSQL hands back ``Decimal`` and ``date``; SQLite numbers and ISO strings."""
    if connection.vendor == "postgresql":
        return (lambda v: v), (lambda v: v)

    def money(value: Any) -> Decimal:
        return value if isinstance(value, Decimal) else Decimal(str(value))

    def day(value: Any) -> date | None:
        return date.fromisoformat(value) if isinstance(value, str) else value

    return money, day


def household_rows(
    *, village_id: int, as_of: date, household_ids: Sequence[int] | None = None
) -> Iterator[HouseholdRow]:
    """Every household of a village (or only ``household_ids`` in it), as archives."""
    subject_filter, params = _in_filter("h.id", household_ids)
    money, day = _converters()
    n_money, n_count = len(MONEY_FIELDS), len(COUNT_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            _household_sql(subject_filter), [village_id, village_id, village_id, *params]
        )
        rows = cursor.fetchall()
    closed = HouseholdStatus.CLOSED
    for row in rows:
        household_id, status, consent, ownership, committee = row[:5]
        if status == closed or not consent:
            yield HouseholdRow(household_id, False, None)
            continue
        i = 5
        amounts = [money(v) for v in row[i : i + n_money]]
        i += n_money
        counts = row[i : i + n_count]
        i += n_count
        flags = [bool(v) for v in row[i : i + len(FLAG_FIELDS)]]
        i += len(FLAG_FIELDS)
        head_birth, head_health, head_education, full_n, partial_n, dibao, poverty = row[i : i + 7]
        i += 7
        kinds = frozenset(k for k, hit in zip(WATCHLIST_KINDS, row[i:], strict=True) if hit)
        values: list[Any] = [
            as_of,
            day(head_birth),
            head_health,
            head_education,
            ("full",) * int(full_n or 0) + ("partial",) * int(partial_n or 0),
            ownership,
            *amounts,
            counts[0],  # other_lenders_count
            counts[1],  # overdue_count_24m
            *flags,
            committee or None,
            counts[2],  # honours_count
            counts[3],  # public_record_deductions
            bool(dibao),
            bool(poverty),
            kinds,
        ]
        archive = HouseholdArchive(*values)  # in _ARCHIVE_ORDER
        yield HouseholdRow(household_id, True, archive)


def entity_rows(*, village_id: int, entity_ids: Sequence[int] | None = None) -> Iterator[EntityRow]:
    """Every business entity of a village (or only ``entity_ids`` in it), as archives."""
    subject_filter, params = _in_filter("e.id", entity_ids)
    money, _ = _converters()
    with connection.cursor() as cursor:
        cursor.execute(_entity_sql(subject_filter), [village_id, village_id, *params])
        rows = cursor.fetchall()
    for row in rows:
        entity_id, category, kind, years = row[:4]
        revenue, assets, liabilities, current = (money(v) for v in row[4:8])
        employees, land, members, tax = row[8:12]
        kinds = frozenset(k for k, hit in zip(WATCHLIST_KINDS, row[12:], strict=True) if hit)
        archive = EnterpriseArchive(
            kind=kind,
            years_operating=years,
            annual_revenue=revenue,
            total_assets=assets,
            total_liabilities=liabilities,
            current_liabilities=current,
            employees=employees,
            land_mu=money(land),
            cooperative_members=members,
            tax_compliant=bool(tax),
            legal_rep_watchlist_kinds=kinds,
        )
        yield EntityRow(entity_id, category, archive)
