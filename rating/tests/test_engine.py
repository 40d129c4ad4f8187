"""The rating engine without a database: a hand-calculated household, the invariants as
property tests, scorecard validation and the JSON round trip."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rating.default_cards import agricultural_card, default_cards, enterprise_card, household_card
from rating.engine import (
    Bin,
    GradeBand,
    KnockOut,
    ScorecardError,
    card_from_json,
    card_to_json,
    score,
    validate_scorecard,
)
from rating.features import (
    INFINITY,
    EnterpriseArchive,
    HouseholdArchive,
    enterprise_features,
    household_features,
)

AS_OF = date(2026, 6, 30)
D = Decimal


def known_household(**overrides: object) -> HouseholdArchive:
    values: dict[str, object] = {
        "as_of": AS_OF,
        "head_birth_date": date(1986, 3, 10),
        "head_health": "good",
        "head_education": "senior",
        "member_labour_abilities": ("full", "full", "partial", "none"),
        "house_ownership": "owned",
        "income_crops": D(30000),
        "income_wages": D(60000),
        "income_business": D(20000),
        "annual_costs": D(30000),
        "house_value": D(400000),
        "deposits": D(80000),
        "vehicles_value": D(50000),
        "livestock_value": D(20000),
        "loans_this_bank": D(100000),
        "private_loans": D(10000),
        "overdue_count_24m": 1,
        "avg_daily_deposit_here": D(30000),
        "other_lenders_count": 1,
        "committee_assessment": "good",
        "honours_count": 1,
    }
    values.update(overrides)
    return HouseholdArchive(**values)  # type: ignore[arg-type]


def test_known_household_breakdown_matches_the_hand_calculation_of_design_4_5():
    # Hand calculation with docs/design.md §4.5, as of 2026-06-30:
    #   家庭基本情况  head born 1986-03-10 → 40 years (25–50)                      8
    #                 health good                                               6
    #                 education senior                                          3
    #                 labour: full + full + partial(½) + none = 2.5 → "2"        4
    #                 owns house                                                6   = 27
    #   家庭经济状况  net income 30,000+60,000+20,000 − 30,000 = 80,000 (5–10万)   9
    #                 assets 400,000+80,000+50,000+20,000 = 550,000,
    #                 liabilities 100,000+10,000 = 110,000 → net 440,000 (30–60万) 9
    #                 debt ratio 110,000 ÷ 550,000 = 20% (≤30%)                  10   = 28
    #   信用状况      overdue once in 24 months, settled                         6
    #                 average daily deposit here 30,000 (1–5万)                  2
    #                 one other lender (0–1)                                    4   = 12
    #   社会评价      village committee "good"                                  7   = 7
    #   base 27 + 28 + 12 + 7 = 74; one honour +2 → 76 → AA (75–84)
    result = score(household_card(), household_features(known_household()))

    points = {i.feature: i.points for i in result.indicators}
    assert points == {
        "head_age": 8,
        "head_health": 6,
        "head_education": 3,
        "labour_force": 4,
        "house_ownership": 6,
        "net_annual_income": 9,
        "net_assets": 9,
        "debt_ratio": 10,
        "overdue_class": 6,
        "avg_daily_deposit_here": 2,
        "other_lenders_count": 4,
        "committee_assessment": 7,
    }
    values = {i.feature: i.value for i in result.indicators}
    assert values["head_age"] == 40
    assert values["net_annual_income"] == 80000
    assert values["net_assets"] == 440000
    assert values["debt_ratio"] == D("0.2")
    assert [(a.feature, a.points) for a in result.adjustments] == [
        ("honours_count", 2),
        ("public_record_deductions", 0),
    ]
    assert result.score == 76
    assert result.grade == "AA"
    assert result.grants_credit
    assert not result.knocked_out
    assert not result.incomplete
    assert "家庭年净收入达到10万元可加3分" in result.hints
    assert "近24个月逾期情况达到“无逾期”可加6分" in result.hints
    # each lost 6 points against its maximum; ties keep the card's order
    assert [f.feature for f in result.lowered] == [
        "net_annual_income",
        "net_assets",
        "overdue_class",
    ]
    assert result.raised[0].feature == "debt_ratio"  # full marks, the most points


def test_hints_say_how_far_to_lower_a_debt_ratio_and_skip_what_cannot_be_changed():
    archive = known_household(loans_this_bank=D(400000), private_loans=D(0))  # 400k ÷ 550k
    result = score(household_card(), household_features(archive))
    assert "资产负债率降至70%及以下可加3分" in result.hints
    assert not any("户主" in hint for hint in result.hints)


def test_head_age_is_counted_on_the_as_of_date_and_outside_18_to_65_knocks_out():
    born = date(1960, 7, 1)
    day_before = household_features(known_household(head_birth_date=born, as_of=date(2025, 6, 30)))
    birthday = household_features(known_household(head_birth_date=born, as_of=date(2026, 7, 1)))
    assert day_before["head_age"] == 64
    assert birthday["head_age"] == 66

    result = score(household_card(), birthday)
    assert result.knocked_out
    assert [r.code for r in result.knock_outs] == ["head_age"]
    assert result.grade == "B"
    assert not result.grants_credit


def test_an_active_dishonest_debtor_match_knocks_out_like_the_archive_flag():
    result = score(
        household_card(),
        household_features(known_household(watchlist_kinds=frozenset({"dishonest_debtor"}))),
    )
    assert result.knocked_out
    assert [(r.code, r.text) for r in result.knock_outs] == [("dishonest_debtor", "失信被执行人")]
    assert result.score == 76  # the breakdown is kept; only the grade is forced down
    assert result.grade == "B"
    # no advice on points: nothing short of the list's lifting would help (the same household
    # unlisted gets its hints)
    assert result.hints == ()
    assert score(household_card(), household_features(known_household())).hints


def test_subsistence_allowance_and_poverty_alleviated_households_are_flagged_not_knocked_out():
    archive = known_household(
        subsistence_allowance=True, watchlist_kinds=frozenset({"poverty_alleviated"})
    )
    result = score(household_card(), household_features(archive))
    assert not result.knocked_out
    assert result.grade == "AA"
    assert {f.code for f in result.flags} == {"dibao", "poverty_alleviated"}


def test_a_household_without_assets_gets_the_worst_debt_ratio_bin_not_a_missing_value():
    archive = known_household(
        house_value=D(0), deposits=D(0), vehicles_value=D(0), livestock_value=D(0)
    )
    result = score(household_card(), household_features(archive))
    debt = next(i for i in result.indicators if i.feature == "debt_ratio")
    assert debt.points == 0
    assert not debt.missing
    assert debt.band == "70%以上或无资产"


def test_overdue_class_counts_outstanding_overdue_as_serious():
    assert household_features(known_household(overdue_count_24m=0))["overdue_class"] == "none"
    assert household_features(known_household(overdue_count_24m=3))["overdue_class"] == "serious"
    outstanding = known_household(overdue_count_24m=1, has_outstanding_overdue=True)
    assert household_features(outstanding)["overdue_class"] == "serious"


def test_missing_archive_values_score_zero_and_mark_the_result_incomplete():
    archive = known_household(
        income_crops=None, income_wages=None, income_business=None, committee_assessment=""
    )
    result = score(household_card(), household_features(archive))
    assert result.incomplete
    assert set(result.missing) == {"net_annual_income", "committee_assessment"}
    assert result.score == 76 - 9 - 7
    assert "补充完善“家庭年净收入”档案信息" in result.hints


def test_nothing_at_all_is_rated_b_incomplete_without_crashing():
    result = score(household_card(), {})
    assert result.incomplete
    assert result.score == 0
    assert result.grade == "B"
    assert not result.knocked_out


def test_enterprise_card_scores_solvency_by_share_of_the_item():
    # debt 200k ÷ 500k = 40% → 60% of 20 = 12; sales 1.2m ÷ current liabilities 300k = 4× → 12;
    # 6 years → 15; 12 employees → 7; revenue 1.2m (100–500万) → 7; tax compliant → 20.
    entity = EnterpriseArchive(
        kind="micro_enterprise",
        years_operating=6,
        annual_revenue=D(1_200_000),
        total_assets=D(500_000),
        total_liabilities=D(200_000),
        current_liabilities=D(300_000),
        employees=12,
        tax_compliant=True,
    )
    result = score(enterprise_card(), enterprise_features(entity))
    assert {i.feature: i.points for i in result.indicators} == {
        "debt_ratio": 12,
        "sales_to_current_liabilities": 12,
        "years_operating": 15,
        "employees": 7,
        "annual_revenue": 7,
        "tax_compliance": 20,
    }
    assert result.score == 73
    assert result.grade == "A"


def test_a_cooperative_is_scored_on_its_members_and_land():
    entity = EnterpriseArchive(
        kind="cooperative",
        years_operating=4,
        annual_revenue=D(800_000),
        total_assets=D(1_000_000),
        total_liabilities=D(250_000),
        current_liabilities=D(0),  # nothing short-term owed: the best sales ratio bin
        employees=3,
        land_mu=D(320),
        cooperative_members=60,
        tax_compliant=True,
        watchlist_kinds=frozenset(),
    )
    result = score(agricultural_card(), enterprise_features(entity))
    points = {i.feature: i.points for i in result.indicators}
    assert points["members"] == 15
    assert points["land_mu"] == 16
    assert points["sales_to_current_liabilities"] == 20
    assert result.score == 20 + 20 + 7 + 16 + 15 + 15
    assert result.grade == "AAA"


# --- properties -------------------------------------------------------------------------------

money = st.decimals(min_value=0, max_value=5_000_000, places=2, allow_nan=False)
maybe_money = st.none() | money


@st.composite
def households(draw: st.DrawFn) -> HouseholdArchive:
    return HouseholdArchive(
        as_of=AS_OF,
        head_birth_date=draw(st.none() | st.dates(date(1940, 1, 1), date(2012, 1, 1))),
        head_health=draw(st.sampled_from([None, "good", "fair", "poor"])),
        head_education=draw(st.sampled_from([None, "college", "senior", "junior", "primary"])),
        member_labour_abilities=draw(
            st.lists(st.sampled_from(["full", "partial", "none"]), max_size=6)
        ),
        house_ownership=draw(st.sampled_from([None, "owned", "rented", "other"])),
        income_crops=draw(maybe_money),
        income_wages=draw(maybe_money),
        annual_costs=draw(maybe_money),
        house_value=draw(maybe_money),
        deposits=draw(maybe_money),
        loans_this_bank=draw(maybe_money),
        private_loans=draw(maybe_money),
        avg_daily_deposit_here=draw(maybe_money),
        other_lenders_count=draw(st.none() | st.integers(0, 8)),
        overdue_count_24m=draw(st.none() | st.integers(0, 10)),
        has_outstanding_overdue=draw(st.booleans()),
        committee_assessment=draw(st.sampled_from([None, "very_good", "good", "fair", "poor"])),
        honours_count=draw(st.integers(0, 10)),
        public_record_deductions=draw(st.integers(0, 30)),
        is_dishonest_debtor=draw(st.booleans()),
        has_criminal_record=draw(st.booleans()),
        has_bad_loan=draw(st.booleans()),
        subsistence_allowance=draw(st.booleans()),
        watchlist_kinds=frozenset(
            draw(st.sets(st.sampled_from(["dishonest_debtor", "drug_gambling", "dibao"])))
        ),
    )


CARD = household_card()


def rate(archive: HouseholdArchive) -> Decimal:
    return score(CARD, household_features(archive)).score


@settings(max_examples=300, deadline=None)
@given(households(), money.filter(lambda m: m > 0))
def test_more_net_income_never_lowers_the_score(archive, more):
    richer = replace(archive, income_wages=(archive.income_wages or D(0)) + more)
    assert rate(richer) >= rate(archive)


@settings(max_examples=300, deadline=None)
@given(households(), money.filter(lambda m: m > 0))
def test_more_net_assets_never_lowers_the_score(archive, more):
    richer = replace(archive, deposits=(archive.deposits or D(0)) + more)
    assert rate(richer) >= rate(archive)


@settings(max_examples=300, deadline=None)
@given(households())
def test_a_knocked_out_household_is_never_graded_above_b(archive):
    result = score(CARD, household_features(archive))
    if result.knocked_out:
        assert result.grade == "B"
        assert not result.grants_credit
        assert result.hints == ()  # no "…可加N分" for a knock-out
    if archive.is_dishonest_debtor or archive.has_bad_loan:
        assert result.knocked_out


@settings(max_examples=300, deadline=None)
@given(households())
def test_the_score_stays_within_the_cards_bounds_and_matches_its_grade(archive):
    result = score(CARD, household_features(archive))
    assert CARD.min_score <= result.score <= CARD.max_score
    if not result.knocked_out:
        band = next(
            g
            for g in CARD.grades
            if (g.low is None or result.score >= g.low)
            and (g.high is None or result.score < g.high)
        )
        assert result.grade == band.grade


@settings(max_examples=200, deadline=None)
@given(st.sets(st.sampled_from(sorted(household_features(known_household()))), min_size=1))
def test_dropping_any_features_marks_them_missing_and_never_crashes(dropped):
    features = household_features(known_household())
    partial = {k: v for k, v in features.items() if k not in dropped}
    result = score(CARD, partial)
    used = {i.feature for i in CARD.indicators} | {a.feature for a in CARD.adjustments}
    used |= {k.feature for k in CARD.knock_outs}
    assert set(result.missing) == dropped & used
    assert result.incomplete == bool(dropped & used)
    assert result.score <= score(CARD, features).score or result.knocked_out


# --- validation -------------------------------------------------------------------------------


def with_income_bins(*bins: Bin):
    card = household_card()
    economy = card.blocks[1]
    income = replace(economy.indicators[0], bins=bins)
    blocks = (card.blocks[0], replace(economy, indicators=(income, *economy.indicators[1:])))
    return replace(card, blocks=(*blocks, *card.blocks[2:]))


def test_the_default_cards_are_valid():
    for card in default_cards().values():
        assert validate_scorecard(card) == []


def test_validation_catches_overlapping_bins():
    card = with_income_bins(
        Bin(None, D(50000), D(2), "5万元以下"),
        Bin(D(40000), D(100000), D(9), "4–10万元"),
        Bin(D(100000), None, D(15), "10万元及以上"),
    )
    assert validate_scorecard(card) == [
        "模块“家庭经济状况”指标“家庭年净收入”分箱“5万元以下”与“4–10万元”重叠"
    ]


def test_validation_catches_gaps_and_uncovered_ends():
    card = with_income_bins(
        Bin(D(0), D(50000), D(2), "0–5万元"),
        Bin(D(60000), D(100000), D(9), "6–10万元"),
        Bin(D(100000), D(200000), D(15), "10–20万元"),
    )
    problems = validate_scorecard(card)
    assert any("之间有空档" in p for p in problems)
    assert any("低于0的取值" in p for p in problems)
    assert any("没有覆盖200000及以上的取值" in p for p in problems)


def test_validation_catches_points_outside_the_block_and_negative_points():
    card = with_income_bins(Bin(None, D(100000), D(-1), "低"), Bin(D(100000), None, D(45), "高"))
    problems = validate_scorecard(card)
    assert any("不能为负数" in p for p in problems)
    assert any("超过模块满分40分" in p for p in problems)


def test_validation_catches_grade_bands_that_do_not_cover_the_range():
    card = replace(
        household_card(),
        grades=(
            GradeBand("B", None, D(60), grants_credit=False),
            GradeBand("A", D(60), D(70)),
            GradeBand("AA", D(75), D(85)),
            GradeBand("AAA", D(85), D(100)),
        ),
    )
    problems = validate_scorecard(card)
    assert "等级“A”与“AA”之间有空档" in problems
    assert "等级没有覆盖100分及以上" in problems


def test_validation_catches_duplicate_features_and_unknown_knock_out_features():
    card = household_card()
    basics = card.blocks[0]
    twice = replace(basics, indicators=(*basics.indicators[:-1], basics.indicators[0]))
    card = replace(
        card,
        blocks=(twice, *card.blocks[1:]),
        knock_outs=(KnockOut("is_alien", "true", None, "alien", "外星人"),),
    )
    problems = validate_scorecard(card)
    assert "模块“家庭基本情况”指标“户主年龄”的特征“head_age”重复使用" in problems
    assert "否决规则“alien”引用了未知特征“is_alien”" in problems


# --- JSON and purity --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["household", "enterprise", "agricultural"])
def test_cards_round_trip_through_json_text(kind):
    card = default_cards()[kind]
    text = json.dumps(card_to_json(card), ensure_ascii=False)
    assert card_from_json(json.loads(text)) == card


def test_importing_json_validates_the_card():
    data = card_to_json(household_card())
    data["grades"] = data["grades"][1:]  # no band below 60
    with pytest.raises(ScorecardError) as caught:
        card_from_json(data)
    assert "等级没有覆盖0至60分" in caught.value.messages
    assert card_from_json(data, validate=False).grades[0].grade == "A"


def test_importing_malformed_json_gives_a_chinese_message():
    with pytest.raises(ScorecardError, match="评分卡JSON格式错误"):
        card_from_json({"version": "x", "kind": "household"})
    data = card_to_json(household_card())
    data["blocks"][0]["max_points"] = "many"
    with pytest.raises(ScorecardError, match="评分卡JSON格式错误"):
        card_from_json(data)


def _frozen(name: str) -> list[dict]:
    return json.loads((Path(__file__).parents[1] / "migrations" / name).read_text("utf-8"))


def test_the_seed_migrations_frozen_cards_match_the_default_cards():
    seeded = _frozen("default_cards_2026_1_1.json")
    assert seeded == [card_to_json(card) for card in default_cards().values()]


def test_the_first_seed_reads_as_the_default_cards_under_the_implicit_rules():
    # 2026.1 was approved without feature rules and never changes: read with the implicit
    # rules it is the default cards but for the label — every archive scores the same
    first = [card_from_json(data) for data in _frozen("default_cards_2026_1.json")]
    assert all(card.feature_rules is None for card in first)
    assert [replace(c, version="2026.1.1", feature_rules=c.rules) for c in first] == list(
        default_cards().values()
    )
    assert "feature_rules" not in _frozen("default_cards_2026_1.json")[0]
    assert card_to_json(first[0])["feature_rules"] == {
        "labour_weights": {"full": 1, "partial": "0.5", "none": 0},
        "debt_ratio_without_assets_or_debt": "Infinity",
    }


# --- feature rules: data of the card ------------------------------------------------------------


def test_the_default_household_card_states_its_feature_rules():
    data = card_to_json(household_card())["feature_rules"]
    assert data == {
        "labour_weights": {"full": 1, "partial": "0.5", "none": 0},
        "debt_ratio_without_assets_or_debt": "Infinity",
    }
    assert card_to_json(enterprise_card())["feature_rules"] == {
        "debt_ratio_without_assets_or_debt": "Infinity"
    }


def test_labour_force_counts_each_member_as_the_card_says():
    archive = known_household(member_labour_abilities=("full", "partial", "partial", "none"))
    assert household_features(archive, household_card().rules)["labour_force"] == 2
    data = card_to_json(household_card())
    data["feature_rules"]["labour_weights"] = {"full": 1, "partial": "0.75", "none": "0.25"}
    card = card_from_json(data)
    assert household_features(archive, card.rules)["labour_force"] == D("2.75")
    assert score(card, household_features(archive, card.rules)).indicators[3].points == 4


def test_a_balance_sheet_without_assets_or_debt_scores_the_debt_ratio_as_the_card_says():
    nothing = {f: D(0) for f in ("house_value", "deposits", "vehicles_value", "livestock_value")}
    empty = known_household(**nothing, loans_this_bank=D(0), private_loans=D(0))
    indebted = known_household(**nothing, loans_this_bank=D(1000), private_loans=D(0))
    default = household_card()
    ratio = {
        i.feature: i for i in score(default, household_features(empty, default.rules)).indicators
    }
    assert ratio["debt_ratio"].value == INFINITY
    assert ratio["debt_ratio"].points == 0  # today's rule, now stated: the worst bin
    data = card_to_json(default)
    data["feature_rules"]["debt_ratio_without_assets_or_debt"] = 0
    lenient = card_from_json(data)
    features = household_features(empty, lenient.rules)
    assert features["debt_ratio"] == 0
    assert {i.feature: i.points for i in score(lenient, features).indicators}["debt_ratio"] == 10
    # debt and no assets stays infinite whatever the card says
    assert household_features(indebted, lenient.rules)["debt_ratio"] == INFINITY
    entity = EnterpriseArchive(kind="family_farm", total_assets=D(0), total_liabilities=D(0))
    entity_data = card_to_json(agricultural_card())
    entity_data["feature_rules"]["debt_ratio_without_assets_or_debt"] = "0.1"
    assert enterprise_features(entity, card_from_json(entity_data).rules)["debt_ratio"] == D("0.1")
    assert enterprise_features(entity, agricultural_card().rules)["debt_ratio"] == INFINITY


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            {"labour_weights": {"full": 1, "partial": "0.5", "none": 0, "robot": 1}},
            "劳动能力“robot”无效",
        ),
        ({"labour_weights": {"full": "1.5", "partial": "0.5", "none": 0}}, "须在0到1之间"),
        (
            {"labour_weights": {"full": "0.5", "partial": 1, "none": 0}},
            "有劳动能力 ≥ 部分劳动能力 ≥ 无劳动能力",
        ),
        ({"debt_ratio_without_assets_or_debt": "-1"}, "须为0或以上"),
    ],
)
def test_feature_rules_are_checked_before_a_card_is_used(change, problem):
    data = card_to_json(household_card())
    data["feature_rules"].update(change)
    with pytest.raises(ScorecardError) as caught:
        card_from_json(data)
    assert any(problem in m for m in caught.value.messages)


def test_feature_rules_need_both_entries_and_labour_weights_only_on_household_cards():
    data = card_to_json(household_card())
    del data["feature_rules"]["labour_weights"]
    with pytest.raises(ScorecardError, match="缺少字段'labour_weights'"):
        card_from_json(data)
    entity = card_to_json(enterprise_card())
    entity["feature_rules"]["labour_weights"] = {"full": 1}
    with pytest.raises(ScorecardError, match="只有农户评分卡可以设置劳动力折算"):
        card_from_json(entity)
    entity["feature_rules"] = {"debt_ratio_without_assets_or_debt": "NaN"}
    with pytest.raises(ScorecardError, match="评分卡JSON格式错误"):
        card_from_json(entity)


def test_the_engine_does_not_import_django():
    code = (
        "import sys, rating.engine, rating.features, rating.default_cards; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    root = Path(__file__).parents[2]
    completed = subprocess.run([sys.executable, "-c", code], cwd=root, check=False)  # noqa: S603
    assert completed.returncode == 0


@given(
    income=st.integers(min_value=0, max_value=500_000),
    assets=st.integers(min_value=0, max_value=3_000_000),
    overdue=st.integers(min_value=0, max_value=5),
)
def test_a_batch_score_without_explanation_has_the_same_numbers(income, assets, overdue):
    from datetime import date as day

    from rating.default_cards import household_card
    from rating.engine import HouseholdArchive, household_features, score

    archive = HouseholdArchive(
        as_of=day(2026, 11, 28),
        head_birth_date=day(1978, 3, 9),
        head_health="good",
        head_education="senior",
        member_labour_abilities=("full", "full"),
        house_ownership="owned",
        income_crops=Decimal(income),
        annual_costs=Decimal(20_000),
        house_value=Decimal(assets),
        loans_this_bank=Decimal(50_000),
        overdue_count_24m=overdue,
        committee_assessment="good",
    )
    features = household_features(archive)
    full = score(household_card(), features)
    batch = score(household_card(), features, explain=False)
    assert (batch.score, batch.grade, batch.knocked_out) == (
        full.score,
        full.grade,
        full.knocked_out,
    )
    assert [i.points for i in batch.indicators] == [i.points for i in full.indicators]
    assert batch.hints == ()
    assert full.hints or full.score == 100


@settings(max_examples=300, deadline=None)
@given(archive=households())
def test_the_explanation_read_back_from_stored_points_and_codes_is_the_engines(archive):
    """What a run stores — points, bands, hint targets, knock-out and flag codes — explains a
    result exactly as scoring it with explanations does (factors, hints, knock-out reasons)."""
    from rating.engine import codes_of, explain_stored, points_of

    features = household_features(archive)
    full = score(CARD, features)
    stored = explain_stored(
        CARD,
        values=features,
        points=points_of(full),
        codes=codes_of(CARD, full),
        score=full.score,
        grade=full.grade,
        knock_out_codes=[r.code for r in full.knock_outs],
        flag_codes=[r.code for r in full.flags],
        missing=full.missing,
    )
    assert stored.raised == full.raised
    assert stored.lowered == full.lowered
    assert stored.hints == full.hints
    assert stored.knock_outs == full.knock_outs
    assert stored.flags == full.flags
    assert [(i.label, i.band, i.points, i.missing) for i in stored.indicators] == [
        (i.label, i.band, i.points, i.missing) for i in full.indicators
    ]
    assert stored.adjustments == full.adjustments
    assert (stored.grants_credit, stored.incomplete) == (full.grants_credit, full.incomplete)


def test_the_explanation_of_stored_points_is_not_scored_again():
    """Told other points than the card would give, the explanation says what was stored."""
    from rating.engine import codes_of, explain_stored, points_of

    full = score(CARD, household_features(known_household()))
    points = points_of(full)
    points[5] = D(2)  # net annual income: stored as the lowest bin's points
    stored = explain_stored(
        CARD,
        values={},
        points=points,
        codes=codes_of(CARD, full),
        score=full.score,
        grade=full.grade,
        knock_out_codes=[],
        flag_codes=[],
        missing=[],
    )
    assert stored.indicators[5].points == 2
    assert any("家庭年净收入" in f.text and "得2分" in f.text for f in stored.lowered)
