"""The credit engines without a database: docs/design.md §4.6 worked by hand, the invariants as
property tests over any valid policy, every way a policy can be wrong, and the villager's plain
words."""

from __future__ import annotations

import copy
import itertools
import json
import pickle
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit.engine import (
    DEFAULT_POLICY,
    DEFAULT_POLICY_JSON,
    GRADES,
    NON_FIELD_ERRORS,
    CreditPolicy,
    LimitInputs,
    LimitResult,
    NoCredit,
    PolicyError,
    PriceInputs,
    RateResult,
    credit_limit,
    credit_rate,
    grade_inversions,
    plain_words,
    policy_diff,
    policy_from_json,
    policy_in_force,
    policy_to_json,
    rate_percent,
    validate_policy,
)

D = Decimal
POLICY = DEFAULT_POLICY


def household(grade: str = "AA", income: object = 80000, assets: object = 400000, **kw: Any):
    return LimitInputs(
        grade=grade,
        grants_credit=kw.pop("grants_credit", grade != "B"),
        knocked_out=kw.pop("knocked_out", False),
        net_annual_income=None if income is None else D(str(income)),
        net_assets=None if assets is None else D(str(assets)),
    )


def pricing(grade: str = "AA", limit: object = 200000, deposit: object = 0, **flags: bool):
    return PriceInputs(
        grade=grade,
        limit=D(str(limit)),
        avg_daily_deposit=None if deposit is None else D(str(deposit)),
        payroll_agency=flags.get("payroll", False),
        mobile_banking_active=flags.get("mobile", False),
        clean_repayment=flags.get("clean", False),
        low_income=flags.get("low_income", False),
    )


def trace(result: LimitResult | RateResult) -> list[tuple[str, object]]:
    return [(t.code, t.value) for t in result.terms]


# --- limits: docs/design.md §4.6 by hand -----------------------------------------------------


def test_design_example_aa_household_is_bound_by_half_its_net_assets():
    # min(AA cap 300,000; 3 × 80,000 = 240,000; 0.5 × 400,000 = 200,000) = 200,000
    result = credit_limit(POLICY, household("AA", 80000, 400000))
    assert result.amount == 200000
    assert trace(result) == [
        ("grade_cap", 300000),
        ("income", 240000),
        ("assets", 200000),
        ("binding", 200000),
        ("rounding", 200000),
    ]
    assert result.binding == "assets"
    assert result.reason == "额度受家庭净资产×0.5约束"
    assert result.reason_code == ""
    assert result.online_eligible
    assert result.granted


def test_the_limit_is_rounded_down_to_the_thousand():
    # 3 × 80,333 = 240,999 → 240,000 (never rounded up)
    result = credit_limit(POLICY, household("AA", 80333, 2_000_000))
    assert result.amount == 240000
    assert result.binding == "income"
    assert result.terms[-1].label == "向下取整到1,000元的整数倍"


def test_a_rich_aaa_household_gets_the_grade_cap():
    result = credit_limit(POLICY, household("AAA", 1_000_000, 5_000_000))
    assert result.amount == 500000
    assert result.binding == "grade_cap"
    assert result.online_eligible  # 500,000 is the top of the online range, included


@pytest.mark.parametrize(
    ("inputs", "code", "reason"),
    [
        (household("B"), "no_credit_grade", "评级为B，不予授信"),
        (household("AAA", knocked_out=True), "knocked_out", "被一票否决，不予授信"),
        (household("AA", income=None), "missing_data", "缺少家庭年净收入数据，暂不授信"),
        (
            household("AA", income=None, assets=None),
            "missing_data",
            "缺少家庭年净收入和家庭净资产数据，暂不授信",
        ),
        (household("AA", income=-5000), "non_positive_income", "家庭年净收入为负，不予授信"),
        (household("AA", income=0), "non_positive_income", "家庭年净收入为0，不予授信"),
        (household("A", assets=-100), "non_positive_assets", "家庭净资产为负，不予授信"),
        (household("A", income=300), "below_rounding_unit", "测算额度不足1,000元，不予授信"),
        (household("C", grants_credit=True), "no_cap", "授信政策未设置C级的额度上限，不予授信"),
    ],
)
def test_no_credit_gives_zero_with_a_chinese_reason(inputs, code, reason):
    result = credit_limit(POLICY, inputs)
    assert result.amount == 0
    assert not result.granted
    assert not result.online_eligible
    assert (result.reason_code, result.reason) == (code, reason)
    assert result.binding == ""


def test_a_negative_net_income_never_gives_a_negative_limit():
    result = credit_limit(POLICY, household("AA", -100000, 400000))
    assert result.amount == 0
    assert ("income", -300000) in trace(result)
    assert result.terms[-1].note == "额度不低于0"


@pytest.mark.parametrize(
    ("net_assets", "eligible"),
    [(98000, False), (100000, True), (600000, True)],  # limits 49,000 / 50,000 / 300,000
)
def test_online_eligibility_follows_the_products_range(net_assets, eligible):
    result = credit_limit(POLICY, household("AA", 1_000_000, net_assets))
    assert result.granted
    assert result.online_eligible is eligible


def test_limit_results_round_trip_through_json_text():
    result = credit_limit(POLICY, household("AA", D("80000.50"), 400000))
    text = json.dumps(result.to_json(), ensure_ascii=False)
    assert LimitResult.from_json(json.loads(text)) == result


# --- rates: docs/design.md §4.6 by hand ------------------------------------------------------


def test_design_example_aa_rate_adds_lpr_and_spread_and_takes_off_each_discount():
    # 300 + 150 − 20 (deposit 70,000 ÷ 200,000 = 35% ≥ 20%) − 10 payroll − 10 clean = 410
    result = credit_rate(POLICY, pricing("AA", 200000, 70000, payroll=True, clean=True))
    assert result.rate_bp == 410
    assert trace(result) == [
        ("lpr", 300),
        ("grade_spread", 150),
        ("deposit", -20),
        ("payroll", -10),
        ("clean_history", -10),
    ]
    assert result.terms[2].note == "日均存款占额度35%，达到20%档"
    assert result.percent == "4.10%"
    assert result.rate == D("0.0410")


def test_a_low_income_aaa_with_every_contribution_hits_the_345_floor():
    # 300 + 100 − 30 − 10 − 5 − 10 − 50 = 295 → lifted 50 to the floor 345
    inputs = pricing("AAA", 500000, 300000, payroll=True, mobile=True, clean=True, low_income=True)
    result = credit_rate(POLICY, inputs)
    assert result.rate_bp == 345
    assert result.percent == "3.45%"
    assert trace(result)[-2:] == [("low_income", -50), ("floor", 50)]
    assert sum(t.value for t in result.terms) == 345


def test_contribution_discounts_above_the_cap_are_given_back():
    policy = replace(POLICY, deposit_discounts=((D("0.5"), 50),))
    inputs = pricing("AA", 100000, 50000, payroll=True, mobile=True, clean=True)
    result = credit_rate(policy, inputs)
    # 50 + 10 + 5 + 10 = 75 earned, at most 60: 15 given back; 300 + 150 − 60 = 390
    assert ("contribution_cap", 15) in trace(result)
    assert result.rate_bp == 390


def test_a_rate_above_the_ceiling_is_cut_to_lpr_plus_485():
    policy = replace(POLICY, grade_spreads_bp={"AAA": 100, "AA": 150, "A": 600})
    result = credit_rate(policy, pricing("A"))
    assert result.rate_bp == 785
    assert trace(result)[-1] == ("ceiling", -115)


def test_the_deposit_tier_is_reached_at_its_boundary_and_the_best_tier_applies():
    at_boundary = credit_rate(POLICY, pricing("AA", 200000, 100000))  # exactly 50%
    just_below = credit_rate(POLICY, pricing("AA", 200000, D("99999.99")))
    assert ("deposit", -30) in trace(at_boundary)
    assert ("deposit", -20) in trace(just_below)
    assert "deposit" not in dict(trace(credit_rate(POLICY, pricing("AA", 200000, 19999))))


@pytest.mark.parametrize(("limit", "deposit"), [(0, 100000), (200000, None), (200000, -5)])
def test_no_deposit_discount_without_a_limit_or_a_deposit(limit, deposit):
    result = credit_rate(POLICY, pricing("AA", limit, deposit))
    assert result.rate_bp == 450
    assert trace(result) == [("lpr", 300), ("grade_spread", 150)]


def test_a_grade_without_a_spread_is_not_priced():
    with pytest.raises(NoCredit, match="B级没有利率加点") as caught:
        credit_rate(POLICY, pricing("B"))
    assert caught.value.grade == "B"


def test_rate_results_round_trip_through_json_text():
    result = credit_rate(POLICY, pricing("AAA", 500000, 300000, payroll=True, low_income=True))
    text = json.dumps(result.to_json(), ensure_ascii=False)
    assert RateResult.from_json(json.loads(text)) == result


@pytest.mark.parametrize(("bp", "text"), [(345, "3.45%"), (410, "4.10%"), (5, "0.05%")])
def test_rate_percent(bp, text):
    assert rate_percent(bp) == text


# --- plain words ----------------------------------------------------------------------------


def test_plain_words_for_the_design_example():
    limit = credit_limit(POLICY, household("AA", 80000, 400000))
    rate = credit_rate(POLICY, pricing("AA", limit.amount, 70000, payroll=True, clean=True))
    assert plain_words(limit, rate) == [
        "您的评级为AA，授信额度上限30万元",
        "按家庭净资产测算，您的授信额度为20万元",
        "可以在手机上直接申请线上贷款",
        "您的贷款年利率为4.10%",
        "以一年期贷款市场报价利率（LPR）3.00%为基础，评级AA加1.50个百分点",
        "在本行日均存款较多，利率优惠0.20个百分点",
        "由本行代发工资，利率优惠0.10个百分点",
        "按时还款、信用记录良好，利率优惠0.10个百分点",
    ]


def test_plain_words_mention_the_cap_give_back_the_low_income_preference_and_the_floor():
    policy = replace(POLICY, deposit_discounts=((D("0.5"), 50),))
    limit = credit_limit(policy, household("AAA", 1_000_000, 5_000_000))
    inputs = pricing(
        "AAA", limit.amount, 250000, payroll=True, mobile=True, clean=True, low_income=True
    )
    words = plain_words(limit, credit_rate(policy, inputs))
    assert "您的授信额度为50万元，已达到AAA级的额度上限" in words
    assert "以上贡献优惠合计最多0.60个百分点，已按此上限计算" in words
    assert "享受低收入户优惠利率0.50个百分点" in words
    assert words[-1] == "利率已按最低3.45%执行"


def test_plain_words_send_a_small_limit_to_the_officer():
    limit = credit_limit(POLICY, household("A", 10000, 1_000_000))  # 30,000 < 50,000
    assert plain_words(limit) == [
        "您的评级为A，授信额度上限10万元",
        "按家庭年净收入测算，您的授信额度为3万元",
        "该额度暂不能在线上办理，请联系您的客户经理",
    ]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (
            "suspended",
            [
                "您的评级为AA",
                "您的授信额度为20万元",
                "您的授信额度目前暂停使用，暂不能申请贷款，详情请联系您的客户经理",
            ],
        ),
        (
            "expired",
            ["您的评级为AA", "您的授信额度已到期，暂不能申请贷款，请联系您的客户经理重新核定"],
        ),
        ("revoked", ["您的评级为AA", "您的授信额度已撤销，暂不能申请贷款，详情请联系您的客户经理"]),
        ("anything else", ["您的评级为AA", "您的授信额度暂不能使用，详情请联系您的客户经理"]),
    ],
)
def test_plain_words_of_a_line_that_cannot_be_used_never_offer_a_loan(status, expected):
    limit = credit_limit(POLICY, household("AA", 80000, 400000))  # 可线上办理 when active
    rate = credit_rate(POLICY, pricing("AA", limit.amount, 70000, payroll=True, clean=True))
    assert "可以在手机上直接申请线上贷款" in plain_words(limit, rate)

    words = plain_words(limit, rate, status=status)

    assert words == expected
    assert not any("线上" in w or "利率" in w for w in words)


def test_plain_words_never_say_why_a_household_got_nothing():
    knocked_out = credit_limit(POLICY, household("B", knocked_out=True))
    graded_b = credit_limit(POLICY, household("B"))
    no_income = credit_limit(POLICY, household("B", income=-1))
    expected = ["您的评级为B，暂未能核定授信额度，详情请联系您的客户经理"]
    assert plain_words(knocked_out) == plain_words(graded_b) == plain_words(no_income) == expected


# --- properties over any valid policy -----------------------------------------------------------

CREDIT_GRADES = [g for g in GRADES if g != "B"]


@st.composite
def drafted_policies(draw: st.DrawFn) -> CreditPolicy:
    """Policies as head office might draft them: every check holds except, perhaps, that a
    better grade never pays more (spreads close enough for the deposit tiers to invert)."""
    online_max = D(draw(st.integers(100, 1000)) * 1000)
    lent_to = CREDIT_GRADES[: draw(st.integers(1, 3))]  # the best grades, without gaps
    caps = sorted(draw(st.lists(st.integers(1, int(online_max)), min_size=3, max_size=3)))
    # each grade's spread above the better one's, often by little (where inversions live)
    steps = draw(st.lists(st.integers(0, 40) | st.integers(0, 200), min_size=2, max_size=2))
    spreads = list(itertools.accumulate([draw(st.integers(0, 300)), *steps]))
    shares = sorted(
        draw(st.sets(st.integers(1, 100), max_size=4)), reverse=True
    )  # percent, descending
    discounts = sorted(
        draw(st.lists(st.integers(0, 80), min_size=len(shares), max_size=len(shares))),
        reverse=True,
    )
    lpr = draw(st.integers(100, 600))
    ceiling_spread = draw(st.integers(0, 800))
    policy = CreditPolicy(
        version="property",
        effective_from=date(2026, 1, 1),
        grade_caps={g: D(caps[-1 - i]) for i, g in enumerate(lent_to)},
        income_multiple=D(draw(st.integers(1, 100))) / 10,
        asset_multiple=D(draw(st.integers(1, 20))) / 10,
        rounding_unit=draw(st.sampled_from([D("0.01"), D(1), D(100), D(1000), D(5000)])),
        online_min=D(draw(st.integers(0, int(online_max)))),
        online_max=online_max,
        lpr_bp=lpr,
        grade_spreads_bp={g: spreads[i] for i, g in enumerate(lent_to)},
        deposit_discounts=tuple((D(s) / 100, bp) for s, bp in zip(shares, discounts, strict=True)),
        payroll_bp=draw(st.integers(0, 40)),
        mobile_banking_bp=draw(st.integers(0, 40)),
        clean_history_bp=draw(st.integers(0, 40)),
        contribution_cap_bp=draw(st.integers(0, 150)),
        low_income_bp=draw(st.integers(0, 100)),
        floor_bp=draw(st.integers(0, lpr + ceiling_spread)),
        ceiling_spread_bp=ceiling_spread,
        entity_grade_caps={g: D(caps[-1 - i]) * 2 for i, g in enumerate(lent_to)},
        entity_profit_multiple=D(draw(st.integers(1, 50))) / 10,
        entity_asset_multiple=D(draw(st.integers(1, 20))) / 10,
    )
    problems = validate_policy(policy)
    assert not grade_inversions(policy) or set(problems) == {"grade_spreads_bp"}
    assert bool(problems) == bool(grade_inversions(policy)), "only the grade order may fail"
    return policy


def policies() -> st.SearchStrategy[CreditPolicy]:
    """Valid policies (accepted by every check)."""
    return drafted_policies().filter(lambda policy: not grade_inversions(policy))


money = st.decimals(min_value=-1_000_000, max_value=10_000_000, places=2)
maybe_money = st.none() | money


@st.composite
def priced(draw: st.DrawFn) -> tuple[CreditPolicy, PriceInputs]:
    policy = draw(policies())
    inputs = PriceInputs(
        grade=draw(st.sampled_from(sorted(policy.grade_spreads_bp))),
        limit=draw(st.decimals(min_value=0, max_value=1_000_000, places=2)),
        avg_daily_deposit=draw(maybe_money),
        payroll_agency=draw(st.booleans()),
        mobile_banking_active=draw(st.booleans()),
        clean_repayment=draw(st.booleans()),
        low_income=draw(st.booleans()),
    )
    return policy, inputs


@st.composite
def limited(draw: st.DrawFn) -> tuple[CreditPolicy, LimitInputs]:
    policy = draw(policies())
    grade = draw(st.sampled_from(GRADES))
    inputs = LimitInputs(
        grade=grade,
        grants_credit=grade != "B",
        knocked_out=draw(st.booleans()),
        net_annual_income=draw(maybe_money),
        net_assets=draw(maybe_money),
    )
    return policy, inputs


def rate_bp(policy: CreditPolicy, inputs: PriceInputs) -> int:
    return credit_rate(policy, inputs).rate_bp


@settings(max_examples=300, deadline=None)
@given(priced())
def test_the_terms_always_add_up_to_the_rate(case):
    policy, inputs = case
    result = credit_rate(policy, inputs)
    assert sum(t.value for t in result.terms) == result.rate_bp
    assert all(isinstance(t.value, int) for t in result.terms)


@settings(max_examples=300, deadline=None)
@given(priced())
def test_the_rate_never_leaves_the_floor_and_ceiling(case):
    policy, inputs = case
    assert policy.floor_bp <= rate_bp(policy, inputs) <= policy.lpr_bp + policy.ceiling_spread_bp


@settings(max_examples=300, deadline=None)
@given(priced())
def test_a_better_grade_never_gets_a_higher_rate(case):
    policy, inputs = case
    rates = [rate_bp(policy, replace(inputs, grade=g)) for g in GRADES if g in policy.grade_caps]
    assert rates == sorted(rates)  # best grade first, so rates only go up


@settings(max_examples=300, deadline=None)
@given(priced(), st.decimals(min_value=0, max_value=1_000_000, places=2))
def test_more_deposit_never_raises_the_rate(case, more):
    policy, inputs = case
    richer = replace(inputs, avg_daily_deposit=(inputs.avg_daily_deposit or D(0)) + more)
    assert rate_bp(policy, richer) <= rate_bp(policy, inputs)


@settings(max_examples=300, deadline=None)
@given(
    priced(),
    st.sampled_from(["payroll_agency", "mobile_banking_active", "clean_repayment", "low_income"]),
)
def test_any_extra_contribution_or_preference_never_raises_the_rate(case, flag):
    policy, inputs = case
    without, with_it = replace(inputs, **{flag: False}), replace(inputs, **{flag: True})
    assert rate_bp(policy, with_it) <= rate_bp(policy, without)


@settings(max_examples=300, deadline=None)
@given(limited())
def test_the_limit_never_exceeds_cap_income_or_assets_and_is_a_whole_rounding_unit(case):
    policy, inputs = case
    amount = credit_limit(policy, inputs).amount
    assert amount >= 0
    assert amount % policy.rounding_unit == 0
    if amount > 0:
        assert not inputs.knocked_out
        assert inputs.net_annual_income is not None
        assert inputs.net_assets is not None
        assert amount <= policy.grade_caps[inputs.grade]
        assert amount <= inputs.net_annual_income * policy.income_multiple
        assert amount <= inputs.net_assets * policy.asset_multiple
        # rounded down, by less than one unit
        bound = min(
            policy.grade_caps[inputs.grade],
            inputs.net_annual_income * policy.income_multiple,
            inputs.net_assets * policy.asset_multiple,
        )
        assert bound - policy.rounding_unit < amount <= bound


@settings(max_examples=300, deadline=None)
@given(limited())
def test_a_better_grade_never_gets_a_lower_cap_or_limit(case):
    policy, inputs = case
    caps = [policy.grade_caps.get(g, D(0)) for g in GRADES]
    limits = [
        credit_limit(policy, replace(inputs, grade=g, grants_credit=g != "B")).amount
        for g in GRADES
    ]
    assert caps == sorted(caps, reverse=True)
    assert limits == sorted(limits, reverse=True)


@settings(max_examples=300, deadline=None)
@given(limited(), st.decimals(min_value=0, max_value=1_000_000, places=2), st.booleans())
def test_more_income_or_assets_never_lowers_the_limit(case, more, income):
    policy, inputs = case
    name = "net_annual_income" if income else "net_assets"
    richer = replace(inputs, **{name: (getattr(inputs, name) or D(0)) + more})
    assert credit_limit(policy, richer).amount >= credit_limit(policy, inputs).amount


@settings(max_examples=200, deadline=None)
@given(limited())
def test_a_knocked_out_household_always_gets_zero(case):
    policy, inputs = case
    result = credit_limit(policy, replace(inputs, knocked_out=True))
    assert result.amount == 0
    assert result.reason_code == "knocked_out"


@settings(max_examples=300, deadline=None)
@given(
    income=st.decimals(min_value=0, max_value=500_000, places=2),
    assets=st.decimals(min_value=0, max_value=3_000_000, places=2),
    deposit=st.decimals(min_value=0, max_value=600_000, places=2),
    flags=st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_with_the_default_policy_a_better_grade_never_pays_more_even_on_its_larger_limit(
    income, assets, deposit, flags
):
    # A larger limit dilutes the deposit share; the default spreads (50bp apart and more)
    # outweigh the largest deposit discount (30bp), so the order of rates still holds.
    rates = []
    for grade in ("AAA", "AA", "A"):
        limit = credit_limit(POLICY, household(grade, income, assets)).amount
        inputs = PriceInputs(grade, limit, deposit, *flags)
        rates.append(rate_bp(POLICY, inputs))
    assert rates == sorted(rates)


# --- a better grade never pays more, whatever the household (issue 11) -------------------------


def rich(grade: str) -> LimitInputs:
    return household(grade, income=10_000_000, assets=100_000_000)


def test_spreads_too_close_for_the_deposit_tiers_price_aaa_above_aa_and_are_refused():
    # The case: AAA +100 / AA +105 bp. 60,000 of deposits is 12% of an AAA limit of
    # 500,000 (the 10% tier, −10 bp) but 20% of an AA limit of 300,000 (the 20% tier, −20 bp).
    data = copy.deepcopy(DEFAULT_POLICY_JSON)
    data["grade_spreads_bp"] = {"AAA": 100, "AA": 105, "A": 250}
    close = replace(POLICY, grade_spreads_bp=data["grade_spreads_bp"])
    rates = {}
    for grade in ("AAA", "AA"):
        limit = credit_limit(close, rich(grade)).amount
        rates[grade] = credit_rate(close, pricing(grade, limit, deposit=60000)).percent
    assert rates == {"AAA": "3.90%", "AA": "3.85%"}

    with pytest.raises(PolicyError) as caught:
        policy_from_json(data)
    assert list(caught.value.errors) == ["grade_spreads_bp"]
    [message] = caught.value.errors["grade_spreads_bp"]
    assert message.startswith(
        "AAA级的利率会高于AA级：日均存款30,000元的同一户，AAA级额度500,000元时年利率4.00%，"
        "AA级额度300,000元时只要3.95%"
    )
    assert "请拉大AAA级与AA级的利率加点差距，或调整存款贡献优惠档位" in message
    assert validate_policy(close) == caught.value.errors


def test_an_inversion_hidden_by_the_ceiling_is_found_with_the_preference_that_shows_it():
    # Ceiling 3.60%: without a preference both grades sit on it whatever their deposit; the
    # low-income preference (−50 bp) brings them under it, and AA's deeper deposit tier shows.
    policy = replace(
        POLICY, grade_spreads_bp={"AAA": 100, "AA": 105, "A": 250}, ceiling_spread_bp=60
    )
    [inversion] = grade_inversions(policy)
    assert (inversion.better, inversion.worse, inversion.deposit) == ("AAA", "AA", 30000)
    assert (inversion.low_income, inversion.payroll_agency) == (True, False)
    assert (inversion.better_rate_bp, inversion.worse_rate_bp) == (350, 345)
    assert "日均存款30,000元的同一户（并享受低收入户优惠）" in inversion.message()


@st.composite
def households_for(draw: st.DrawFn, policy: CreditPolicy) -> tuple[D, D, D, tuple[bool, ...]]:
    """Income, assets, deposit and the four contribution flags of one household — the deposit
    often right on a tier's threshold for some grade's cap, where inversions live."""
    limits = [credit_limit(policy, rich(grade)).amount for grade in policy.grade_caps]
    thresholds = [share * limit for share, _ in policy.deposit_discounts for limit in limits]
    deposit = draw(
        st.decimals(min_value=0, max_value=600_000, places=2)
        | (st.sampled_from(thresholds) if thresholds else st.just(D(0)))
    )
    if draw(st.booleans()):  # rich enough for every grade's cap
        income, assets = D(10_000_000), D(100_000_000)
    else:
        income = draw(st.decimals(min_value=0, max_value=300_000, places=2))
        assets = draw(st.decimals(min_value=0, max_value=2_000_000, places=2))
    flags = tuple(draw(st.lists(st.booleans(), min_size=4, max_size=4)))
    return income, assets, deposit, flags


def rates_by_grade(policy: CreditPolicy, income: D, assets: D, deposit: D, flags) -> list[int]:
    """The household's rate at each grade that gives it a line, best grade first."""
    rates = []
    for grade in GRADES:
        if grade not in policy.grade_spreads_bp:
            continue
        limit = credit_limit(policy, household(grade, income, assets)).amount
        if limit > 0:
            rates.append(credit_rate(policy, PriceInputs(grade, limit, deposit, *flags)).rate_bp)
    return rates


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_an_accepted_policy_never_prices_a_better_grade_above_a_worse_one(data):
    policy = data.draw(drafted_policies())
    accepted = validate_policy(policy) == {}
    for income, assets, deposit, flags in data.draw(st.lists(households_for(policy), max_size=30)):
        rates = rates_by_grade(policy, income, assets, deposit, flags)
        if accepted:
            assert rates == sorted(rates)  # best grade first, so rates only go up


@settings(max_examples=300, deadline=None)
@given(drafted_policies())
def test_a_policy_is_refused_only_for_a_household_that_really_pays_more_at_a_better_grade(
    policy,
):
    messages = validate_policy(policy).get("grade_spreads_bp", [])
    inversions = grade_inversions(policy)
    assert messages == [inversion.message() for inversion in inversions]
    for inversion in inversions:
        flags = (
            inversion.payroll_agency,
            inversion.mobile_banking_active,
            inversion.clean_repayment,
            inversion.low_income,
        )
        paid = {}
        for grade in (inversion.better, inversion.worse):
            limit = credit_limit(policy, rich(grade)).amount
            paid[grade] = credit_rate(
                policy, PriceInputs(grade, limit, inversion.deposit, *flags)
            ).rate_bp
        assert paid == {
            inversion.better: inversion.better_rate_bp,
            inversion.worse: inversion.worse_rate_bp,
        }
        assert paid[inversion.better] > paid[inversion.worse]


@settings(max_examples=200, deadline=None)
@given(policies())
def test_any_valid_policy_round_trips_through_json_text(policy):
    text = json.dumps(policy_to_json(policy), ensure_ascii=False)
    assert policy_from_json(json.loads(text)) == policy


# --- the policy ---------------------------------------------------------------------------------


def test_the_default_policy_is_design_4_6_and_the_dataclass_defaults():
    assert policy_from_json(DEFAULT_POLICY_JSON) == DEFAULT_POLICY
    assert policy_to_json(DEFAULT_POLICY) == DEFAULT_POLICY_JSON
    assert validate_policy(DEFAULT_POLICY) == {}
    from_defaults = CreditPolicy(version="2026.1", effective_from=date(2026, 1, 1), lpr_bp=300)
    assert from_defaults == DEFAULT_POLICY
    assert dict(DEFAULT_POLICY.grade_caps) == {"AAA": 500000, "AA": 300000, "A": 100000}
    assert DEFAULT_POLICY.floor_bp == 345
    assert DEFAULT_POLICY.ceiling_bp == 300 + 485


def test_a_shared_policy_cannot_be_changed_in_place_but_pickles_and_hashes():
    with pytest.raises(TypeError):
        DEFAULT_POLICY.grade_caps["AAA"] = D(1)
    # Django's cache pickles; this is our own object, not untrusted data
    assert pickle.loads(pickle.dumps(DEFAULT_POLICY)) == DEFAULT_POLICY  # noqa: S301
    assert copy.deepcopy(DEFAULT_POLICY) == DEFAULT_POLICY
    assert len({DEFAULT_POLICY, policy_from_json(DEFAULT_POLICY_JSON)}) == 1


def bad(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = copy.deepcopy(DEFAULT_POLICY_JSON)
    change(data)
    return data


BAD_POLICIES = [
    (
        "floor_above_ceiling",
        lambda d: d.update(floor_bp=800),
        "floor_bp",
        "利率下限8.00%高于利率上限7.85%（LPR 3.00%加4.85个百分点）",
    ),
    (
        "negative_income_multiple",
        lambda d: d.update(income_multiple="-3"),
        "income_multiple",
        "年净收入倍数必须大于0",
    ),
    (
        "zero_asset_multiple",
        lambda d: d.update(asset_multiple=0),
        "asset_multiple",
        "净资产倍数必须大于0",
    ),
    (
        "negative_cap",
        lambda d: d["grade_caps"].update(A="-1"),
        "grade_caps",
        "A级额度上限必须大于0（不授信的等级请不要列出）",
    ),
    (
        "negative_discount",
        lambda d: d.update(payroll_bp=-10),
        "payroll_bp",
        "代发工资优惠不能为负数",
    ),
    (
        "negative_floor",
        lambda d: d.update(floor_bp=-1),
        "floor_bp",
        "利率下限不能为负数",
    ),
    (
        "negative_spread",
        lambda d: d["grade_spreads_bp"].update(AAA=-10),
        "grade_spreads_bp",
        "AAA级利率加点不能为负数",
    ),
    (
        "cap_above_online_max",
        lambda d: d["grade_caps"].update(AAA="600000"),
        "grade_caps",
        "AAA级额度上限（600,000元）超过线上贷款最高额度（500,000元）",
    ),
    (
        "online_min_above_max",
        lambda d: d.update(online_min="600000"),
        "online_min",
        "线上贷款最低额度（600,000元）高于最高额度（500,000元）",
    ),
    (
        "unknown_grade_in_spreads",
        lambda d: d["grade_spreads_bp"].update(AAAA=50),
        "grade_spreads_bp",
        "等级利率加点中的等级“AAAA”不存在，等级只能是AAA、AA、A",
    ),
    (
        "unknown_grade_in_caps",
        lambda d: d["grade_caps"].update(S="100"),
        "grade_caps",
        "等级额度上限中的等级“S”不存在，等级只能是AAA、AA、A",
    ),
    (
        "spread_missing_for_a_capped_grade",
        lambda d: d["grade_spreads_bp"].pop("AA"),
        "grade_spreads_bp",
        "AA级设置了额度上限，但缺少利率加点",
    ),
    (
        "spread_for_a_grade_without_credit",
        lambda d: d["grade_spreads_bp"].update(B=400),
        "grade_spreads_bp",
        "B级没有额度上限（不授信），不应设置利率加点",
    ),
    (
        "cap_for_grade_b",
        lambda d: d["grade_caps"].update(B="10000"),
        "grade_caps",
        "B级为不授信等级，不能设置额度上限",
    ),
    (
        "better_grade_lower_cap",
        lambda d: d["grade_caps"].update(AA="50000"),
        "grade_caps",
        "AA级额度上限（50,000元）低于A级（100,000元）：评级越高，额度上限不能越低",
    ),
    (
        "better_grade_higher_spread",
        lambda d: d["grade_spreads_bp"].update(AAA=200),
        "grade_spreads_bp",
        "AAA级利率加点（200基点）高于AA级（150基点）：评级越高，加点不能越多",
    ),
    (
        "grade_skipped",
        lambda d: (d["grade_caps"].pop("AA"), d["grade_spreads_bp"].pop("AA")),
        "grade_caps",
        "AA级没有额度上限（不授信），而更低的A级有：评级越高，额度上限不能越低",
    ),
    (
        "no_grade_gets_credit",
        lambda d: d.update(grade_caps={}, grade_spreads_bp={}),
        "grade_caps",
        "至少要为一个等级设置额度上限",
    ),
    (
        "deposit_tiers_not_descending",
        lambda d: d.update(deposit_discounts=[["0.2", 20], ["0.5", 30]]),
        "deposit_discounts",
        "存款贡献优惠档位须按占比从高到低排列：第2档（50%）不低于第1档（20%）",
    ),
    (
        "deposit_share_above_one",
        lambda d: d.update(deposit_discounts=[["1.5", 30]]),
        "deposit_discounts",
        "存款贡献优惠第1档的占比（1.5）必须大于0且不超过1（即0%–100%）",
    ),
    (
        "deposit_share_zero",
        lambda d: d.update(deposit_discounts=[["0.5", 30], ["0", 10]]),
        "deposit_discounts",
        "存款贡献优惠第2档的占比（0）必须大于0且不超过1（即0%–100%）",
    ),
    (
        "deposit_discount_grows_as_share_falls",
        lambda d: d.update(deposit_discounts=[["0.5", 10], ["0.2", 20]]),
        "deposit_discounts",
        "存款贡献优惠第2档（占比20%，20基点）优惠多于第1档（占比50%，10基点）："
        "占比越高，优惠不能越少",
    ),
    (
        "deposit_tier_not_a_pair",
        lambda d: d.update(deposit_discounts=[["0.5"]]),
        "deposit_discounts",
        "存款贡献优惠档位第1档必须是[占比, 优惠基点]两个值",
    ),
    (
        "fractional_bp",
        lambda d: d.update(lpr_bp=302.5),
        "lpr_bp",
        "一年期LPR必须是整数（基点），不能是“302.5”",
    ),
    (
        "bp_as_text",
        lambda d: d.update(payroll_bp="10"),
        "payroll_bp",
        "代发工资优惠必须是整数（基点），不能是“10”",
    ),
    (
        "fractional_spread",
        lambda d: d["grade_spreads_bp"].update(AA=150.5),
        "grade_spreads_bp",
        "等级利率加点（AA）必须是整数（基点），不能是“150.5”",
    ),
    (
        "zero_lpr",
        lambda d: d.update(lpr_bp=0),
        "lpr_bp",
        "一年期LPR必须大于0基点",
    ),
    (
        "missing_key",
        lambda d: d.pop("lpr_bp"),
        "lpr_bp",
        "缺少字段：一年期LPR（lpr_bp）",
    ),
    (
        "unknown_key",
        lambda d: d.update(floor_pb=345),
        NON_FIELD_ERRORS,
        "未知字段“floor_pb”",
    ),
    (
        "not_a_number",
        lambda d: d.update(income_multiple="three"),
        "income_multiple",
        "年净收入倍数必须是数字，“three”无法识别",
    ),
    (
        "not_finite",
        lambda d: d.update(rounding_unit="NaN"),
        "rounding_unit",
        "额度取整单位必须是有限的数字",
    ),
    (
        "zero_rounding_unit",
        lambda d: d.update(rounding_unit="0"),
        "rounding_unit",
        "额度取整单位必须大于0",
    ),
    (
        "bad_date",
        lambda d: d.update(effective_from="2026/01/01"),
        "effective_from",
        "生效日期必须是YYYY-MM-DD格式的日期，例如2026-01-01",
    ),
    (
        "blank_version",
        lambda d: d.update(version="  "),
        "version",
        "版本号不能为空",
    ),
    (
        "no_validity",
        lambda d: d.update(validity_months=0),
        "validity_months",
        "授信有效期至少为1个月",
    ),
]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [case[1:] for case in BAD_POLICIES],
    ids=[case[0] for case in BAD_POLICIES],
)
def test_a_bad_policy_is_refused_with_a_clear_chinese_message(change, field, message):
    with pytest.raises(PolicyError) as caught:
        policy_from_json(bad(change))
    assert caught.value.errors == {field: [message]}
    assert message in str(caught.value)


def test_every_problem_in_a_policy_is_reported_at_once():
    def break_three(d: dict[str, Any]) -> None:
        d.pop("version")
        d["floor_bp"] = "high"
        d["grade_caps"]["AAA"] = "600000"

    with pytest.raises(PolicyError) as caught:
        policy_from_json(bad(break_three))
    assert caught.value.errors == {
        "version": ["缺少字段：版本号（version）"],
        "floor_bp": ["利率下限必须是整数（基点），不能是“high”"],
        "grade_caps": ["AAA级额度上限（600,000元）超过线上贷款最高额度（500,000元）"],
    }


def test_a_policy_that_is_not_an_object_is_refused():
    with pytest.raises(PolicyError) as caught:
        policy_from_json([])
    assert caught.value.errors == {NON_FIELD_ERRORS: ["授信政策必须是一个JSON对象"]}


def test_validate_policy_checks_a_policy_built_in_python():
    policy = replace(DEFAULT_POLICY, floor_bp=900, grade_spreads_bp={"AAA": 100, "AA": 150})
    assert validate_policy(policy) == {
        "floor_bp": ["利率下限9.00%高于利率上限7.85%（LPR 3.00%加4.85个百分点）"],
        "grade_spreads_bp": ["A级设置了额度上限，但缺少利率加点"],
    }


def test_policy_diff_lists_each_change_in_chinese():
    new = replace(
        DEFAULT_POLICY,
        version="2026.2",
        effective_from=date(2026, 7, 1),
        lpr_bp=310,
        grade_caps={"AAA": D(500000), "AA": D(350000), "A": D(100000)},
        deposit_discounts=((D("0.5"), 30),),
        income_multiple=D("2.5"),
    )
    assert policy_diff(DEFAULT_POLICY, new) == [
        ("版本号", "2026.1", "2026.2"),
        ("生效日期", "2026-01-01", "2026-07-01"),
        ("等级额度上限（AA）", "300,000元", "350,000元"),
        ("年净收入倍数", "3倍", "2.5倍"),
        ("一年期LPR", "300基点（3.00%）", "310基点（3.10%）"),
        (
            "存款贡献优惠档位",
            "占比≥50%优惠30基点；占比≥20%优惠20基点；占比≥10%优惠10基点",
            "占比≥50%优惠30基点",
        ),
    ]
    assert policy_diff(DEFAULT_POLICY, DEFAULT_POLICY) == []


def test_policy_diff_shows_a_grade_added_or_removed():
    fewer = replace(
        DEFAULT_POLICY,
        grade_caps={"AAA": D(500000), "AA": D(300000)},
        grade_spreads_bp={"AAA": 100, "AA": 150},
    )
    assert policy_diff(DEFAULT_POLICY, fewer) == [
        ("等级额度上限（A）", "100,000元", "—"),
        ("等级利率加点（A）", "250基点", "—"),
    ]


def test_the_policy_in_force_is_the_latest_one_already_started():
    older = replace(DEFAULT_POLICY, version="2025.1", effective_from=date(2025, 1, 1))
    newer = replace(DEFAULT_POLICY, version="2026.2", effective_from=date(2026, 7, 1))
    policies = [newer, older, DEFAULT_POLICY]
    assert policy_in_force(policies, date(2026, 6, 30)) == DEFAULT_POLICY
    assert policy_in_force(policies, date(2026, 7, 1)) == newer
    assert policy_in_force(policies, date(2024, 12, 31)) is None


def test_the_engine_does_not_import_django():
    code = (
        "import sys, credit.engine; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    root = Path(__file__).parents[2]
    completed = subprocess.run([sys.executable, "-c", code], cwd=root, check=False)  # noqa: S603
    assert completed.returncode == 0
