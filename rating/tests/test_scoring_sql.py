"""The compiled SQL path rates exactly as the Python engine does (PostgreSQL).

A village of random archives — with the edges that matter put in on purpose: values right on a
bin's boundary, no assets, a birthday on the run date, 29 February, a household without a head,
a blank committee assessment, watch-list matches, closed and unconsented households, entities
with no current liabilities — is rated by ``batch.rate_village`` (the Python engine, as on
SQLite) and by ``batch.rate_village_sql`` (the card compiled to SQL), and every result must
agree: score, grade, knock-outs, missing indicators, flags, every indicator's points, band and
hint target, the engine version and every value kept in the breakdown.
"""

from __future__ import annotations

import json
import random
from datetime import date
from decimal import Decimal

import pytest

from households.models import (
    EntityCategory,
    EntityKind,
    HouseholdStatus,
    Member,
    Relation,
    WatchlistEntityMatch,
    WatchlistEntry,
    WatchlistMatch,
)
from households.tests.factories import (
    BusinessEntityFactory,
    HouseholdFactory,
    MemberFactory,
)
from rating import batch, engine, runs, scoring_sql
from rating.default_cards import default_cards, household_card
from rating.engine import card_to_json
from rating.features import ASSET_FIELDS, LIABILITY_FIELDS
from rating.features_sql import MONEY_FIELDS
from rating.models import RatingResult, RunScope, Scorecard
from rating.results_sql import RESULT_COLUMNS, kept_values, results_counts, rows_counts

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postgres")]

AS_OF = date(2026, 2, 28)
CENT = Decimal("0.01")
EDGE_MONEY = [0, 20000, 50000, 100000, 200000, 300000, 600000, 1000000, 10000, 49999.99]


def _money(rng: random.Random) -> Decimal:
    if rng.random() < 0.35:
        return Decimal(rng.choice(EDGE_MONEY)).quantize(Decimal("0.01"))
    return Decimal(rng.randrange(0, 40_000_000)) / 100


def _entry(kind: str, n: int) -> WatchlistEntry:
    return WatchlistEntry.objects.create(
        kind=kind,
        name="张三",
        id_number_encrypted="x",
        id_number_index=f"idx-{kind}-{n}",
        id_number_masked="430***********0001",
        source="测试",
        listed_on=date(2025, 1, 1),
    )


def _company_entry(uscc: str, n: int) -> WatchlistEntry:
    return WatchlistEntry.objects.create(
        kind="dishonest_debtor",
        name=f"测试公司{n}",
        uscc=uscc,
        source="测试",
        listed_on=date(2025, 1, 1),
    )


def _random_village(village, seed: int) -> None:
    rng = random.Random(seed)
    births = [
        date(1980, 5, 17),
        date(2008, 2, 28),  # 18 on the run date
        date(2008, 2, 29),  # 29 February: 18 only on 1 March
        date(1961, 2, 28),  # 65 on the run date
        date(1960, 2, 27),  # 66
        date(2001, 3, 1),
    ]
    for n in range(120):
        money = {field: _money(rng) for field in MONEY_FIELDS}
        if n % 11 == 0:  # no assets at all: the debt ratio is infinite
            for field in ("house_value", "livestock_value", "vehicles_value", "deposits"):
                money[field] = Decimal(0)
            money["other_assets"] = Decimal(0)
        if n % 23 == 0:  # neither assets nor debt: the card's feature rule decides
            for field in (*ASSET_FIELDS, *LIABILITY_FIELDS):
                money[field] = Decimal(0)
        if n % 13 == 0:  # a debt ratio exactly on the 30% boundary
            money.update(house_value=Decimal(100000), livestock_value=Decimal(0))
            money.update(vehicles_value=Decimal(0), deposits=Decimal(0), other_assets=Decimal(0))
            money.update(
                loans_this_bank=Decimal(30000),
                loans_other_banks=Decimal(0),
                private_loans=Decimal(0),
            )
        h = HouseholdFactory(
            village=village,
            head=False,
            committee_assessment=rng.choice(["very_good", "good", "fair", "poor", ""]),
            house_ownership=rng.choice(["owned", "rented", "other"]),
            other_lenders_count=rng.choice([0, 1, 2, 3, 5]),
            overdue_count_24m=rng.choice([0, 0, 1, 2, 3, 4]),
            has_outstanding_overdue=rng.random() < 0.1,
            has_bad_loan=rng.random() < 0.05,
            is_dishonest_debtor=rng.random() < 0.03,
            has_criminal_record=rng.random() < 0.03,
            has_drug_gambling_flag=rng.random() < 0.03,
            honours_count=rng.choice([0, 0, 1, 2, 3, 4]),
            public_record_deductions=rng.choice([0, 0, 0, 1, 2]),
            rating_consent=rng.random() > 0.05,
            status=HouseholdStatus.CLOSED if rng.random() < 0.03 else HouseholdStatus.ARCHIVED,
            **money,
        )
        if n % 17 != 5:  # some households have no head recorded
            head = MemberFactory(
                household=h,
                relation=Relation.HEAD,
                health=rng.choice(["good", "fair", "poor", ""]),
                education=rng.choice(["college", "senior", "junior", "primary", ""]),
                labour_ability=rng.choice(["full", "partial", "none"]),
                subsistence_allowance=rng.random() < 0.1,
            )
            Member.objects.filter(pk=head.pk).update(birth_date=rng.choice(births))
            if n % 19 == 0:
                kind = rng.choice(["dishonest_debtor", "criminal_record", "dibao"])
                WatchlistMatch.objects.create(
                    entry=_entry(kind, n), member=head, household=h, kind=kind
                )
        for _ in range(rng.choice([0, 1, 2, 3])):
            MemberFactory(
                household=h,
                labour_ability=rng.choice(["full", "partial", "none"]),
                is_poverty_alleviated=rng.random() < 0.1,
            )
    kinds = [
        (EntityCategory.ENTERPRISE, EntityKind.MICRO_ENTERPRISE),
        (EntityCategory.ENTERPRISE, EntityKind.INDIVIDUAL_BUSINESS),
        (EntityCategory.AGRICULTURAL, EntityKind.FAMILY_FARM),
        (EntityCategory.AGRICULTURAL, EntityKind.COOPERATIVE),
        (EntityCategory.AGRICULTURAL, EntityKind.LARGE_GROWER),
    ]
    owners = list(village.households.order_by("pk")[:10])
    for n in range(30):
        category, kind = kinds[n % len(kinds)]
        current = Decimal(0) if n % 7 == 0 else _money(rng)
        revenue = current * 5 if n % 6 == 1 else _money(rng) * 10
        # costs not recorded (the policy's margin then applies), below or above the revenue
        share = rng.choice([None, "0.6", "0.85", "1.2"])
        entity = BusinessEntityFactory(
            village=village,
            category=category,
            kind=kind,
            years_operating=rng.choice([0, 1, 3, 5, 10, 12]),
            annual_revenue=revenue,
            annual_costs=None if share is None else (revenue * Decimal(share)).quantize(CENT),
            total_assets=Decimal(0) if n % 9 == 0 else _money(rng) * 3,
            total_liabilities=_money(rng) * (0 if n % 18 == 0 else 1),  # 0 and 18: neither
            current_liabilities=current,
            employees=rng.choice([0, 2, 3, 10, 20, 40]),
            land_mu=Decimal(rng.choice([0, 10, 50, 200, 500, 733])),
            cooperative_members=rng.choice([0, 5, 10, 20, 50, 80]),
            tax_compliant=rng.random() > 0.2,
            overdue_count_24m=rng.choice([0, 0, 1, 3]),
            has_outstanding_overdue=rng.random() < 0.1,
            has_bad_loan=n % 10 == 4,
        )
        if n % 8 == 3:
            WatchlistEntityMatch.objects.create(
                entry=_entry("criminal_record", 1000 + n),
                business_entity=entity,
                kind="criminal_record",
            )
        if n % 8 == 5:  # the company itself on the 失信被执行人 list, by its code
            WatchlistEntityMatch.objects.create(
                entry=_company_entry(entity.uscc, n),
                business_entity=entity,
                kind="dishonest_debtor",
            )
        if n % 3 == 0 and owners:  # run by a household of the village
            entity.owner_households.add(owners[n % len(owners)])
    # a birth date right on the run date's day, too
    Member.objects.filter(household__village=village, relation=Relation.SPOUSE).update(
        birth_date=AS_OF.replace(year=1990)
    )


def _canonical(row: dict, cards: dict) -> dict:
    """A result row with its JSON decoded, its values as the breakdown's (the compiled path
    keeps them as text, read back with each feature's kind: ``results_sql.kept_values``) and
    every number as a ``Decimal``."""

    def number(value):
        if isinstance(value, str):
            try:
                return Decimal(value)
            except ArithmeticError:
                return value
        return value

    out = dict(row)
    for key in ("knock_outs", "missing", "flags", "breakdown"):
        if isinstance(out[key], str):
            out[key] = json.loads(out[key])
    for key, kind in (("points", Decimal), ("codes", int)):
        if isinstance(out[key], str):  # the Python path's COPY text: {8,6,…}
            out[key] = [kind(v) for v in out[key][1:-1].split(",") if v]
        out[key] = [kind(v) for v in out[key]]
    out["score"] = Decimal(out["score"]).quantize(Decimal("0.01"))
    breakdown = out["breakdown"]
    card = cards[out["kind"]]
    feature_values = out.pop("feature_values")
    if isinstance(feature_values, str):  # (never: the Python path keeps its values as JSON)
        raise AssertionError("the Python path writes no feature_values")
    kept = kept_values(card, breakdown, feature_values)
    out["breakdown"] = {
        "card": breakdown["card"],
        "values": [number(kept.get(f)) for f in batch.breakdown_order(card)[0]],
    }
    return out


def _same(a, b) -> bool:
    """Equal, numbers by value ("2.0" and "2" labourers are the same; a debt ratio divided to
    28 digits by Python and to 20 by PostgreSQL agrees far beyond any bin's edge)."""
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        if not (a.is_finite() and b.is_finite()):
            return a == b
        return abs(a - b) <= Decimal("1e-15")
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _both_ways(run, village) -> tuple[dict, dict]:
    rows, skipped_python = batch.rate_village(run, village.pk)
    stamp = batch.card_stamp(run)
    by_kind = {
        kind: batch.engine_card(card_id, stamp)
        for kind, card_id in (
            ("household", run.household_card_id),
            ("enterprise", run.enterprise_card_id),
            ("agricultural", run.agricultural_card_id),
        )
    }
    python = {
        (r[2], r[3]): _canonical(dict(zip(RESULT_COLUMNS, r, strict=True)), by_kind) for r in rows
    }
    cards = batch.compiled_cards(run)
    assert cards is not None, "the default cards must compile"
    rated = batch.rate_village_sql(run, village.pk, cards)
    stored = list(RatingResult.objects.filter(run=run).values(*RESULT_COLUMNS))
    # the compiled path keeps the values as text (the breakdown only names the card)
    assert all(r["feature_values"] is not None for r in stored)
    assert all(set(r["breakdown"]) == {"card"} for r in stored)
    sql = {(r["household_id"], r["business_entity_id"]): _canonical(r, by_kind) for r in stored}
    assert (rated.rated, rated.skipped) == (len(rows), skipped_python)
    # the one statement counts what it wrote as the chunk's counts are read from the table,
    # and as the Python path counts its rows
    assert rated.counts == sorted(results_counts(run.pk, village.pk)) == rows_counts(rows)
    return python, sql


@pytest.mark.parametrize("seed", [1, 2])
def test_the_compiled_cards_rate_every_subject_as_the_engine_does(org, seed):
    _random_village(org.village_a, seed)
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    python, sql = _both_ways(run, org.village_a)

    assert len(python) > 130  # households and entities were rated, not just skipped
    assert python.keys() == sql.keys()
    for subject, expected in python.items():
        assert _same(sql[subject], expected), (subject, sql[subject], expected)
    grades = {r["grade"] for r in python.values()}
    assert {"B", "A"} <= grades  # the sample reaches several bands
    assert any(r["knocked_out"] for r in python.values())
    # the entity cards' knock-outs fire from the entity's archive and its own USCC listing
    entity_codes = {code for (_, e), r in python.items() if e for code in r["knock_outs"]}
    assert {"bad_loan", "dishonest_debtor"} <= entity_codes
    assert any(r["incomplete"] for r in python.values())


def test_cards_stating_other_feature_rules_are_rated_alike(org):
    """The card's feature rules are read by both paths: labour weights other than 1/0.5/0 and
    a debt ratio of 0 (the best bin) for a balance sheet with neither assets nor debt."""
    _random_village(org.village_a, 6)
    cards = {}
    for kind, card in default_cards().items():
        data = card_to_json(card)
        data["version"] = "rules.test"
        if kind == "household":
            data["feature_rules"]["labour_weights"] = {"full": 1, "partial": "0.6", "none": "0.2"}
        data["feature_rules"]["debt_ratio_without_assets_or_debt"] = 0
        cards[kind] = Scorecard.objects.create(kind=kind, version="rules.test", definition=data)
    run = runs.rating_simulation_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, cards=cards, dispatch=False
    )
    python, sql = _both_ways(run, org.village_a)

    assert python.keys() == sql.keys()
    for subject, expected in python.items():
        assert _same(sql[subject], expected), (subject, sql[subject], expected)
    order = batch.breakdown_order(batch.engine_card(run.household_card_id, "x"))[0]
    labour, ratio = order.index("labour_force"), order.index("debt_ratio")
    households = [r["breakdown"]["values"] for (h, _), r in sql.items() if h is not None]
    assert any(
        v[labour] % 1 in (Decimal("0.2"), Decimal("0.6"), Decimal("0.8")) for v in households
    )
    assert any(v[ratio] == 0 for v in households)  # an empty balance sheet: the best bin
    assert any(v[ratio] == Decimal("Infinity") for v in households)  # debt and no assets
    entity_order = batch.breakdown_order(default_cards()["enterprise"])[0]
    entities = [r["breakdown"]["values"] for (h, _), r in sql.items() if h is None]
    assert any(v[entity_order.index("debt_ratio")] == 0 for v in entities)


def test_a_chosen_subject_list_is_rated_alike(org):
    _random_village(org.village_a, 3)
    ids = list(org.village_a.households.values_list("pk", flat=True)[:7])
    run = runs.rating_run_start(
        actor=org.head_office,
        scope=RunScope.SUBJECTS,
        subject_ids=ids,
        as_of=AS_OF,
        dispatch=False,
        today=AS_OF,
    )
    python, sql = _both_ways(run, org.village_a)
    assert {h for h, _ in sql} <= set(ids)
    assert python.keys() == sql.keys()
    assert all(_same(sql[k], python[k]) for k in python)


def test_a_card_with_constructs_the_compiler_does_not_know_falls_back_to_python():
    card = household_card()
    fine = scoring_sql.household_card(card)
    assert fine is not None
    odd_rule = engine.KnockOut("labour_force", "in", ["1", "2"], "odd", "测试")
    odd = engine.Scorecard(
        **{**card.__dict__, "knock_outs": (*card.knock_outs, odd_rule)}  # type: ignore[arg-type]
    )
    assert scoring_sql.household_card(odd) is None


def test_more_knock_out_operators_compile_as_the_engine_reads_them(org):
    _random_village(org.village_a, 4)
    card = household_card()
    extra = (
        engine.KnockOut("committee_assessment", "in", ["poor"], "poor_review", "村两委评议差"),
        engine.KnockOut("other_lenders_count", "ge", 5, "many_lenders", "多头借贷"),
        engine.KnockOut("overdue_class", "eq", "serious", "serious_overdue", "严重逾期"),
        engine.KnockOut("debt_ratio", "gt", "0.9", "debt", "资不抵债"),
        engine.KnockOut("is_dibao", "ne", True, "never", "不适用"),
    )
    richer = engine.Scorecard(
        **{**card.__dict__, "knock_outs": (*card.knock_outs, *extra)}  # type: ignore[arg-type]
    )
    compiled = scoring_sql.household_card(richer)
    assert compiled is not None
    run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )
    rows = []
    from rating.features_sql import household_rows

    for row in household_rows(village_id=org.village_a.pk, as_of=AS_OF):
        if row.archive is not None:
            result = engine.score(richer, engine.household_features(row.archive), explain=False)
            rows.append((row.household_id, result.grade, [r.code for r in result.knock_outs]))
    from django.db import connection

    from rating import features_sql

    source = features_sql.household_features_sql(compiled.features, "")
    with connection.cursor() as cursor:
        cursor.execute(
            scoring_sql.insert_sql(compiled, source, subject_column="household_id"),
            {"run": run.pk, "village": org.village_a.pk, "as_of_year": 2026, "as_of_mmdd": 228},
        )
    sql = {
        r.household_id: (r.household_id, r.grade, r.knock_outs)
        for r in RatingResult.objects.filter(run=run)
    }
    assert [sql[h] for h, _, _ in rows] == rows
    assert any("many_lenders" in codes for _, _, codes in rows)
    assert any("poor_review" in codes for _, _, codes in rows)
