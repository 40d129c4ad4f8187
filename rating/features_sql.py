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
from rating.features import (
    ASSET_FIELDS,
    IMPLICIT_ENTITY_RULES,
    IMPLICIT_HOUSEHOLD_RULES,
    INCOME_FIELDS,
    LABOUR_ABILITIES,
    LIABILITY_FIELDS,
    EnterpriseArchive,
    FeatureRules,
    HouseholdArchive,
)

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
    "subsistence_allowance",
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


def _household_joins(village: str, *, members_by_village: bool = False) -> str:
    """A village's households with their members' aggregate (``m``) and their active
    watch-list matches by kind (``w``) — the one read of members and matches, shared by the
    Python path and the compiled one. ``village`` is the parameter's placeholder. The head's
    columns come out of the members' aggregate (MAX over the one head row), so the members of
    the village are read once. Only table and column names are interpolated."""
    h = Household._meta.db_table
    m = Member._meta.db_table
    w = WatchlistMatch._meta.db_table
    kinds = ", ".join(
        f"MAX(CASE WHEN wm.kind = '{k}' THEN 1 ELSE 0 END) AS w_{k}" for k in WATCHLIST_KINDS
    )
    # ``members_by_village`` (the compiled path, PostgreSQL only): a member's village is its
    # household's there — one foreign key (household, village) with ON UPDATE CASCADE refuses
    # anything else, at every snapshot — so the village's members are one range of
    # ``member_village_names`` instead of a probe per household (about 1 ms of the members'
    # 3 ms in a village). The Python path keeps the join: it also reads the archive history
    # (``rating.replay``), whose members do not keep their village, and SQLite, where only
    # the service keeps the two equal.
    if members_by_village:
        members_of_village = f"FROM {m} mm WHERE mm.village_id = {village}"
    else:
        members_of_village = (
            f"FROM {m} mm INNER JOIN {h} hm ON hm.id = mm.household_id "
            f"WHERE hm.village_id = {village}"
        )
    return f"""
        FROM {h} h
        LEFT JOIN (
            SELECT mm.household_id,
                   MAX(CASE WHEN mm.relation = 'head' THEN mm.birth_date END) AS head_birth,
                   MAX(CASE WHEN mm.relation = 'head' THEN mm.health END) AS head_health,
                   MAX(CASE WHEN mm.relation = 'head' THEN mm.education END) AS head_education,
                   SUM(CASE WHEN mm.labour_ability = 'full' THEN 1 ELSE 0 END) AS full_n,
                   SUM(CASE WHEN mm.labour_ability = 'partial' THEN 1 ELSE 0 END) AS partial_n,
                   SUM(CASE WHEN mm.labour_ability = 'none' THEN 1 ELSE 0 END) AS none_n,
                   MAX(CASE WHEN mm.subsistence_allowance THEN 1 ELSE 0 END) AS subsistence,
                   MAX(CASE WHEN mm.is_poverty_alleviated THEN 1 ELSE 0 END) AS poverty
            {members_of_village}
            GROUP BY mm.household_id
        ) m ON m.household_id = h.id
        LEFT JOIN (
            SELECT wm.household_id, {kinds}
            FROM {w} wm INNER JOIN {h} hw ON hw.id = wm.household_id
            WHERE hw.village_id = {village} AND wm.cleared_at IS NULL
            GROUP BY wm.household_id
        ) w ON w.household_id = h.id
        WHERE h.village_id = {village}
    """  # noqa: S608


def _household_sql(subject_filter: str) -> str:
    columns = ", ".join(f"h.{f}" for f in (*MONEY_FIELDS, *COUNT_FIELDS, *FLAG_FIELDS))
    kind_columns = ", ".join(f"w.w_{k}" for k in WATCHLIST_KINDS)
    return f"""
        SELECT h.id, h.status, h.rating_consent, h.house_ownership, h.committee_assessment,
               {columns},
               m.head_birth, m.head_health, m.head_education,
               m.full_n, m.partial_n, m.none_n, m.subsistence, m.poverty,
               {kind_columns}
        {_household_joins("%s")} {subject_filter}
        ORDER BY h.id
    """


def _entity_joins(village: str) -> str:
    """A village's business entities with their active watch-list matches by kind (``w``: by
    their own code or their legal representative's ID), shared like ``_household_joins``."""
    e = BusinessEntity._meta.db_table
    w = WatchlistEntityMatch._meta.db_table
    kinds = ", ".join(
        f"MAX(CASE WHEN wm.kind = '{k}' THEN 1 ELSE 0 END) AS w_{k}" for k in WATCHLIST_KINDS
    )
    return f"""
        FROM {e} e
        LEFT JOIN (
            SELECT wm.business_entity_id, {kinds}
            FROM {w} wm INNER JOIN {e} ew ON ew.id = wm.business_entity_id
            WHERE ew.village_id = {village} AND wm.cleared_at IS NULL
            GROUP BY wm.business_entity_id
        ) w ON w.business_entity_id = e.id
        WHERE e.village_id = {village}
    """  # noqa: S608


def _entity_sql(subject_filter: str) -> str:
    kind_columns = ", ".join(f"w.w_{k}" for k in WATCHLIST_KINDS)
    money = ", ".join(f"e.{f}" for f in ENTITY_MONEY_FIELDS)
    return f"""
        SELECT e.id, e.category, e.kind, e.years_operating, {money}, e.employees, e.land_mu,
               e.cooperative_members, e.tax_compliant, e.overdue_count_24m,
               e.has_outstanding_overdue, e.has_bad_loan, {kind_columns}
        {_entity_joins("%s")} {subject_filter}
        ORDER BY e.id
    """


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
        head_birth, head_health, head_education = row[i : i + 3]
        full_n, partial_n, none_n, subsistence, poverty = row[i + 3 : i + 8]
        i += 8
        kinds = frozenset(k for k, hit in zip(WATCHLIST_KINDS, row[i:], strict=True) if hit)
        values: list[Any] = [
            as_of,
            day(head_birth),
            head_health,
            head_education,
            ("full",) * int(full_n or 0)
            + ("partial",) * int(partial_n or 0)
            + ("none",) * int(none_n or 0),
            ownership,
            *amounts,
            counts[0],  # other_lenders_count
            counts[1],  # overdue_count_24m
            *flags,
            committee or None,
            counts[2],  # honours_count
            counts[3],  # public_record_deductions
            bool(subsistence),
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
        employees, land, members, tax, overdue, outstanding, bad_loan = row[8:15]
        kinds = frozenset(k for k, hit in zip(WATCHLIST_KINDS, row[15:], strict=True) if hit)
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
            overdue_count_24m=overdue,
            has_outstanding_overdue=bool(outstanding),
            has_bad_loan=bool(bad_loan),
            watchlist_kinds=kinds,
        )
        yield EntityRow(entity_id, category, archive)


# --- the features themselves in SQL (PostgreSQL), for the compiled scoring path --------------
#
# ``rating.scoring_sql`` scores a whole village in one INSERT … SELECT. It reads the features
# below: each is the SQL twin of ``rating.features`` for the same archive columns, with the kind
# of value it yields ("number" → numeric, "count" → integer, "text" → a category, "flag" →
# boolean). ``rating/tests/test_scoring_sql.py`` checks on random archives that every feature
# and every score equals the Python path's.

NUMBER, COUNT, TEXT, FLAG = "number", "count", "text", "flag"


def _sum(columns: Sequence[str], alias: str = "h") -> str:
    return "(" + " + ".join(f"{alias}.{c}" for c in columns) + ")"


def _listed(kind: str, alias: str = "w") -> str:
    return f"COALESCE({alias}.w_{kind}, 0) = 1"


class RuleNotTranslatable(ValueError):
    """A feature rule with a value SQL cannot state exactly (not a number)."""


def _number(value: Decimal) -> str:
    """A card's number as an SQL literal (∞ included: PostgreSQL's numeric has it)."""
    if value.is_nan():
        raise RuleNotTranslatable(str(value))
    if value.is_infinite():
        return "'Infinity'::numeric" if value > 0 else "'-Infinity'::numeric"
    return f"{value}::numeric"


def _labour_sql(rules: FeatureRules) -> str:
    """``labour_force`` under the card's weights: each ability's member count (``m.<a>_n``,
    from the members' aggregate) times its weight; an ability not listed counts 0."""
    terms = [
        f"COALESCE(m.{ability}_n, 0) * {_number(weight)}"
        for ability, weight in rules.labour_weights
        if ability in LABOUR_ABILITIES and weight != 0
    ]
    return "(" + (" + ".join(terms) or "0") + ")::numeric"


def _debt_ratio_sql(assets: str, liabilities: str, rules: FeatureRules) -> str:
    """``features._ratio``: liabilities ÷ assets; with no assets, ∞ — or, with no debt
    either, the card's ``debt_ratio_without_assets_or_debt``."""
    return (
        f"CASE WHEN {assets} <= 0 AND {liabilities} <= 0 "
        f"THEN {_number(rules.debt_ratio_without_assets_or_debt)} "
        f"WHEN {assets} <= 0 THEN 'Infinity'::numeric "
        f"ELSE {liabilities} / {assets} END"
    )


def _overdue_class(alias: str) -> str:
    """``features.overdue_class`` of a household (``h``) or an entity (``e``)."""
    return (
        f"CASE WHEN {alias}.has_outstanding_overdue OR {alias}.overdue_count_24m >= 3 "
        f"THEN 'serious' WHEN {alias}.overdue_count_24m = 0 THEN 'none' ELSE 'settled_1_2' END"
    )


# (SQL expression, kind). Money and count columns are NOT NULL, so only the head's columns and
# the committee's assessment can be missing. The head's age is ``features.age_on`` to the letter:
# ``%(as_of_year)s`` and ``%(as_of_mmdd)s`` (month × 100 + day) come from the run's as-of date.
HOUSEHOLD_FEATURE_SQL: dict[str, tuple[str, str]] = {
    "head_age": (
        "(%(as_of_year)s - date_part('year', m.head_birth)::integer - CASE WHEN %(as_of_mmdd)s"
        " < (date_part('month', m.head_birth) * 100 + date_part('day', m.head_birth))::integer"
        " THEN 1 ELSE 0 END)",
        COUNT,
    ),
    "head_health": ("NULLIF(m.head_health, '')", TEXT),
    "head_education": ("NULLIF(m.head_education, '')", TEXT),
    "labour_force": (_labour_sql(IMPLICIT_HOUSEHOLD_RULES), NUMBER),
    "house_ownership": ("NULLIF(h.house_ownership, '')", TEXT),
    "net_annual_income": (f"{_sum(INCOME_FIELDS)} - h.annual_costs", NUMBER),
    "net_assets": (f"{_sum(ASSET_FIELDS)} - {_sum(LIABILITY_FIELDS)}", NUMBER),
    "debt_ratio": (
        _debt_ratio_sql(_sum(ASSET_FIELDS), _sum(LIABILITY_FIELDS), IMPLICIT_HOUSEHOLD_RULES),
        NUMBER,
    ),
    "overdue_class": (_overdue_class("h"), TEXT),
    "avg_daily_deposit_here": ("h.avg_daily_deposit_here", NUMBER),
    "other_lenders_count": ("h.other_lenders_count", COUNT),
    "committee_assessment": ("NULLIF(h.committee_assessment, '')", TEXT),
    "honours_count": ("h.honours_count", COUNT),
    "public_record_deductions": ("h.public_record_deductions", COUNT),
    "is_dishonest_debtor": (f"(h.is_dishonest_debtor OR {_listed('dishonest_debtor')})", FLAG),
    "has_criminal_record": (f"(h.has_criminal_record OR {_listed('criminal_record')})", FLAG),
    "has_drug_gambling_flag": (f"(h.has_drug_gambling_flag OR {_listed('drug_gambling')})", FLAG),
    "has_bad_loan": ("h.has_bad_loan", FLAG),
    "is_dibao": (f"(COALESCE(m.subsistence, 0) = 1 OR {_listed('dibao')})", FLAG),
    "is_poverty_alleviated": (
        f"(COALESCE(m.poverty, 0) = 1 OR {_listed('poverty_alleviated')})",
        FLAG,
    ),
}

ENTITY_FEATURE_SQL: dict[str, tuple[str, str]] = {
    "debt_ratio": (
        _debt_ratio_sql("e.total_assets", "e.total_liabilities", IMPLICIT_ENTITY_RULES),
        NUMBER,
    ),
    "sales_to_current_liabilities": (
        "CASE WHEN e.current_liabilities <= 0 THEN 'Infinity'::numeric "
        "ELSE e.annual_revenue / e.current_liabilities END",
        NUMBER,
    ),
    "years_operating": ("e.years_operating::integer", COUNT),
    "annual_revenue": ("e.annual_revenue", NUMBER),
    "employees": ("e.employees", COUNT),
    "land_mu": ("e.land_mu", NUMBER),
    "members": (
        "CASE WHEN e.kind = 'cooperative' THEN e.cooperative_members ELSE e.employees END",
        COUNT,
    ),
    "tax_compliance": (
        "CASE WHEN e.tax_compliant THEN 'compliant' ELSE 'not_compliant' END",
        TEXT,
    ),
    "overdue_class": (_overdue_class("e"), TEXT),
    "is_dishonest_debtor": (_listed("dishonest_debtor"), FLAG),
    "has_criminal_record": (_listed("criminal_record"), FLAG),
    "has_bad_loan": ("e.has_bad_loan", FLAG),
}


def household_feature_sql(rules: FeatureRules) -> dict[str, tuple[str, str]]:
    """``HOUSEHOLD_FEATURE_SQL`` under a card's feature rules (raises
    ``RuleNotTranslatable``)."""
    return {
        **HOUSEHOLD_FEATURE_SQL,
        "labour_force": (_labour_sql(rules), NUMBER),
        "debt_ratio": (
            _debt_ratio_sql(_sum(ASSET_FIELDS), _sum(LIABILITY_FIELDS), rules),
            NUMBER,
        ),
    }


def entity_feature_sql(rules: FeatureRules) -> dict[str, tuple[str, str]]:
    """``ENTITY_FEATURE_SQL`` under a card's feature rules (raises ``RuleNotTranslatable``)."""
    return {
        **ENTITY_FEATURE_SQL,
        "debt_ratio": (_debt_ratio_sql("e.total_assets", "e.total_liabilities", rules), NUMBER),
    }


def household_features_sql(
    features: Sequence[str], subject_filter: str, *, rules: FeatureRules = IMPLICIT_HOUSEHOLD_RULES
) -> str:
    """SELECT of ``subject_id`` and the named features of a village's ratable households
    (consent given, not closed), from the same joins as ``household_rows``, under the card's
    feature ``rules``. Parameters: ``%(village)s``, ``%(as_of_year)s``, ``%(as_of_mmdd)s``
    and, with a filter, ``%(ids)s``."""
    feature_sql = household_feature_sql(rules)
    select = ", ".join(f"{feature_sql[f][0]} AS f_{f}" for f in features)
    return f"""
        SELECT h.id AS subject_id, {select}
        {_household_joins("%(village)s", members_by_village=connection.vendor == "postgresql")}
              AND h.status <> '{HouseholdStatus.CLOSED}' AND h.rating_consent {subject_filter}
    """


def entity_features_sql(
    features: Sequence[str], subject_filter: str, *, rules: FeatureRules = IMPLICIT_ENTITY_RULES
) -> str:
    """SELECT of ``subject_id``, ``category`` and the named features of a village's business
    entities, under the card's feature ``rules``. Parameters: ``%(village)s`` and, with a
    filter, ``%(ids)s``."""
    feature_sql = entity_feature_sql(rules)
    select = ", ".join(f"{feature_sql[f][0]} AS f_{f}" for f in features)
    return f"""
        SELECT e.id AS subject_id, e.category AS category{", " + select if select else ""}
        {_entity_joins("%(village)s")} {subject_filter}
    """
