"""The rate (定价): LPR + grade spread − contribution discounts (capped) − low-income preference,
held within [floor, LPR + ceiling spread]; every term is a signed basis-point line of the
trace, and the terms always add up to the rate. Also the plain words a villager reads."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from credit.engine.formatting import (
    bp_to_rate,
    percentage_points,
    rate_percent,
    share_percent,
    yuan,
    yuan_words,
)
from credit.engine.limits import (
    ENTITY,
    LimitInputs,
    LimitResult,
    Term,
    credit_limit,
    terms_from_json,
    terms_to_json,
)
from credit.engine.policy import GRADES, NO_CREDIT_GRADES, CreditPolicy

# The contribution discounts, in trace order; their total is capped by contribution_cap_bp.
CONTRIBUTION_CODES = ("deposit", "payroll", "mobile_banking", "clean_history")
# Every term's label, by code (``{grade}`` filled in); a stored trace is shown with the same.
RATE_TERM_LABELS = {
    "lpr": "一年期LPR",
    "grade_spread": "{grade}级加点",
    "deposit": "存款贡献优惠",
    "payroll": "代发工资优惠",
    "mobile_banking": "手机银行活跃优惠",
    "clean_history": "良好还款记录优惠",
    "contribution_cap": "贡献优惠封顶回补",
    "low_income": "低收入户优惠",
    "floor": "利率下限调整",
    "ceiling": "利率上限调整",
}


class NoCredit(ValueError):
    """The grade has no spread in the policy (B, or a grade the policy does not lend to), so
    there is no rate to give. With a valid policy every grade that can get a positive limit has
    a spread, so this only happens when pricing is asked for a household without credit."""

    def __init__(self, grade: str) -> None:
        self.grade = grade
        super().__init__(f"{grade}级没有利率加点（不授信），无法定价")


@dataclass(frozen=True)
class PriceInputs:
    grade: str
    limit: Decimal  # the household's limit; the deposit share is measured against it
    avg_daily_deposit: Decimal | None  # average daily deposit here; None counts as 0
    payroll_agency: bool  # wages paid through us (代发工资)
    mobile_banking_active: bool
    clean_repayment: bool  # no overdue in the repayment history
    low_income: bool  # 低保/脱贫/long-tail household


@dataclass(frozen=True)
class RateResult:
    rate_bp: int  # annual rate in basis points: 345 = 3.45%
    terms: tuple[Term, ...]  # signed basis points; sum(t.value for t in terms) == rate_bp
    grade: str = ""

    @property
    def rate(self) -> Decimal:
        """The rate as stored: ``Decimal("0.0345")``."""
        return bp_to_rate(self.rate_bp)

    @property
    def percent(self) -> str:
        return rate_percent(self.rate_bp)

    def to_json(self) -> dict[str, Any]:
        return {"grade": self.grade, "rate_bp": self.rate_bp, "terms": terms_to_json(self.terms)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RateResult:
        return cls(
            rate_bp=int(data["rate_bp"]),
            terms=terms_from_json(data["terms"]),
            grade=str(data.get("grade", "")),
        )


def credit_rate(policy: CreditPolicy, inputs: PriceInputs) -> RateResult:
    """The annual rate for ``inputs`` under ``policy``, with its trace. Terms that do not apply
    (a discount not earned, no floor lift) are left out; LPR and the spread always appear.
    Raises :class:`NoCredit` when the grade has no spread."""
    spread = policy.grade_spreads_bp.get(inputs.grade)
    if spread is None:
        raise NoCredit(inputs.grade)
    terms = [
        Term("lpr", RATE_TERM_LABELS["lpr"], policy.lpr_bp, rate_percent(policy.lpr_bp)),
        Term("grade_spread", RATE_TERM_LABELS["grade_spread"].format(grade=inputs.grade), spread),
    ]
    deposit = _deposit_term(policy, inputs)
    contributions = [deposit] if deposit else []
    for earned, code, label, bp in (
        (inputs.payroll_agency, "payroll", RATE_TERM_LABELS["payroll"], policy.payroll_bp),
        (
            inputs.mobile_banking_active,
            "mobile_banking",
            RATE_TERM_LABELS["mobile_banking"],
            policy.mobile_banking_bp,
        ),
        (
            inputs.clean_repayment,
            "clean_history",
            RATE_TERM_LABELS["clean_history"],
            policy.clean_history_bp,
        ),
    ):
        if earned and bp:
            contributions.append(Term(code, label, -bp))
    terms += contributions
    discount = -sum(int(t.value) for t in contributions)
    if discount > policy.contribution_cap_bp:
        terms.append(
            Term(
                "contribution_cap",
                RATE_TERM_LABELS["contribution_cap"],
                discount - policy.contribution_cap_bp,
                f"贡献优惠合计{discount}基点，最多{policy.contribution_cap_bp}基点",
            )
        )
    if inputs.low_income and policy.low_income_bp:
        terms.append(Term("low_income", RATE_TERM_LABELS["low_income"], -policy.low_income_bp))
    rate = sum(int(t.value) for t in terms)
    # Floor first, then ceiling: in a valid policy at most one of them applies.
    if rate < policy.floor_bp:
        terms.append(
            Term(
                "floor",
                RATE_TERM_LABELS["floor"],
                policy.floor_bp - rate,
                f"不低于{rate_percent(policy.floor_bp)}",
            )
        )
        rate = policy.floor_bp
    if rate > policy.ceiling_bp:
        terms.append(
            Term(
                "ceiling",
                RATE_TERM_LABELS["ceiling"],
                policy.ceiling_bp - rate,
                f"不高于{rate_percent(policy.ceiling_bp)}",
            )
        )
        rate = policy.ceiling_bp
    return RateResult(rate_bp=rate, terms=tuple(terms), grade=inputs.grade)


def _deposit_term(policy: CreditPolicy, inputs: PriceInputs) -> Term | None:
    deposit, limit = inputs.avg_daily_deposit, inputs.limit
    if deposit is None or deposit <= 0 or limit <= 0:
        return None
    # Compare deposit ≥ share × limit rather than dividing: exact at the tier boundaries.
    reached = [(share, bp) for share, bp in policy.deposit_discounts if deposit >= share * limit]
    if not reached:
        return None
    share, bp = max(reached, key=lambda tier: tier[1])  # the best tier reached
    if bp == 0:
        return None
    actual = (deposit / limit).quantize(Decimal("0.001"), rounding=ROUND_FLOOR)
    note = f"日均存款占额度{share_percent(actual)}，达到{share_percent(share)}档"
    return Term("deposit", RATE_TERM_LABELS["deposit"], -bp, note)


# --- a better grade never pays more ------------------------------------------------------------


@dataclass(frozen=True)
class GradeInversion:
    """A household profile under which the better of two neighbouring grades pays more: the
    same deposit is a smaller share of the better grade's larger limit, so it may reach a
    lower deposit tier and lose more discount than the spreads differ by."""

    better: str
    worse: str
    deposit: Decimal  # average daily deposit here
    better_limit: Decimal  # the limits of a household rich enough to reach both caps
    worse_limit: Decimal
    payroll_agency: bool
    mobile_banking_active: bool
    clean_repayment: bool
    low_income: bool
    better_rate_bp: int
    worse_rate_bp: int

    def message(self) -> str:
        earned = [
            label
            for label, on in (
                ("代发工资", self.payroll_agency),
                ("手机银行活跃", self.mobile_banking_active),
                ("良好还款记录", self.clean_repayment),
                ("低收入户", self.low_income),
            )
            if on
        ]
        who = f"（并享受{'、'.join(earned)}优惠）" if earned else ""
        return (
            f"{self.better}级的利率会高于{self.worse}级：日均存款{yuan(self.deposit)}的同一户"
            f"{who}，{self.better}级额度{yuan(self.better_limit)}时年利率"
            f"{rate_percent(self.better_rate_bp)}，{self.worse}级额度"
            f"{yuan(self.worse_limit)}时只要{rate_percent(self.worse_rate_bp)}"
            "（额度越小，存款占额度的比例越高，存款优惠越多）。评级越高，利率不能越高："
            f"请拉大{self.better}级与{self.worse}级的利率加点差距，或调整存款贡献优惠档位"
        )


def grade_inversions(policy: CreditPolicy) -> list[GradeInversion]:
    """For each pair of neighbouring grades that lend, a household profile under which the
    better grade pays a higher rate, if there is one (empty: no household ever pays more at
    a better grade). Expects a policy that passes the other checks (caps and spreads listed
    for the same grades, a better grade never a lower cap or a larger spread).

    Exhaustive, not sampled. With equal limits (a household bound by its income or assets
    below the worse grade's cap) the discounts are equal and the spreads decide; otherwise the
    worse grade's limit is its cap and the better grade's rate is highest at its own cap (a
    larger limit never earns more deposit discount). For those two limits every rate is a
    step function of the deposit, constant between the tiers' thresholds (share × limit): so
    checking the deposit at 0 and at each threshold, with each combination of the other
    contributions, covers every household."""
    lending = [
        g
        for g in GRADES
        if g not in NO_CREDIT_GRADES and g in policy.grade_caps and g in policy.grade_spreads_bp
    ]
    found = []
    for better, worse in itertools.pairwise(lending):
        high, low = _richest_limit(policy, better), _richest_limit(policy, worse)
        if low <= 0:
            continue  # the worse grade never gets a line, so never a rate
        inversion = _first_inversion(policy, better, worse, high, low)
        if inversion is not None:
            found.append(inversion)
    return found


def _richest_limit(policy: CreditPolicy, grade: str) -> Decimal:
    """The limit of a household whose income and assets are not the bound: the cap, rounded."""
    cap = policy.grade_caps[grade]
    rich = LimitInputs(
        grade, True, False, cap / policy.income_multiple + 1, cap / policy.asset_multiple + 1
    )
    return credit_limit(policy, rich).amount


def _first_inversion(
    policy: CreditPolicy, better: str, worse: str, high: Decimal, low: Decimal
) -> GradeInversion | None:
    thresholds = {share * limit for share, _ in policy.deposit_discounts for limit in (high, low)}
    deposits = sorted({Decimal(0), *thresholds})
    # the fewest contributions first, so the example given is the plainest one
    flag_sets = sorted(itertools.product((False, True), repeat=4), key=sum)
    for flags in flag_sets:
        for deposit in deposits:
            rates = [
                credit_rate(policy, PriceInputs(grade, limit, deposit, *flags)).rate_bp
                for grade, limit in ((better, high), (worse, low))
            ]
            if rates[0] > rates[1]:
                return GradeInversion(better, worse, deposit, high, low, *flags, *rates)
    return None


# --- plain words ------------------------------------------------------------------------------


# A line that cannot be used now (its status, as ``credit.models.LineStatus`` stores it): what
# the villager is told instead of how to borrow — never why (docs/design.md §4.4).
UNUSABLE_LINE_WORDS = {
    "suspended": "您的授信额度目前暂停使用，暂不能申请贷款，详情请联系您的客户经理",
    "expired": "您的授信额度已到期，暂不能申请贷款，请联系您的客户经理重新核定",
    "revoked": "您的授信额度已撤销，暂不能申请贷款，详情请联系您的客户经理",
}
_UNUSABLE_OTHERWISE = "您的授信额度暂不能使用，详情请联系您的客户经理"


def plain_words(
    limit_result: LimitResult, rate_result: RateResult | None = None, *, status: str = "active"
) -> list[str]:
    """Short Chinese sentences for the villager's page. A zero limit gets one sentence that
    sends them to their officer — never the reason (docs/design.md §4.4) — and no rate. A line that
    is not ``"active"`` (suspended, expired, revoked) never says it can be borrowed on, online
    or otherwise, and quotes no rate: the grade, the amount of a suspended line, and a
    sentence sending them to their officer."""
    grade = limit_result.grade
    if not limit_result.granted:
        return [f"您的评级为{grade}，暂未能核定授信额度，详情请联系您的客户经理"]
    amount = yuan_words(limit_result.amount)
    if status != "active":
        words = [f"您的评级为{grade}"]
        if status == "suspended":
            words.append(f"您的授信额度为{amount}")
        return [*words, UNUSABLE_LINE_WORDS.get(status, _UNUSABLE_OTHERWISE)]
    cap = next((t.value for t in limit_result.terms if t.code == "grade_cap"), None)
    words = [f"您的评级为{grade}，授信额度上限{yuan_words(Decimal(cap))}" if cap else ""]
    # an entity's limit is measured on its own profit and net assets, never the family's
    assets_name = "经营主体净资产" if limit_result.subject == ENTITY else "家庭净资产"
    words.append(
        {
            "grade_cap": f"您的授信额度为{amount}，已达到{grade}级的额度上限",
            "income": f"按家庭年净收入测算，您的授信额度为{amount}",
            "profit": f"按经营主体年净利润测算，您的授信额度为{amount}",
            "assets": f"按{assets_name}测算，您的授信额度为{amount}",
        }.get(limit_result.binding, f"您的授信额度为{amount}")
    )
    if limit_result.online_eligible:
        words.append("可以在手机上直接申请线上贷款")
    else:
        words.append("该额度暂不能在线上办理，请联系您的客户经理")
    if rate_result is not None:
        words += _rate_words(rate_result)
    return [w for w in words if w]


def _rate_words(result: RateResult) -> list[str]:
    by_code = {t.code: int(t.value) for t in result.terms}
    words = [f"您的贷款年利率为{result.percent}"]
    if "lpr" in by_code and "grade_spread" in by_code:
        words.append(
            f"以一年期贷款市场报价利率（LPR）{rate_percent(by_code['lpr'])}为基础，"
            f"评级{result.grade}加{percentage_points(by_code['grade_spread'])}"
        )
    sentences = {
        "deposit": "在本行日均存款较多，利率优惠{}",
        "payroll": "由本行代发工资，利率优惠{}",
        "mobile_banking": "经常使用本行手机银行，利率优惠{}",
        "clean_history": "按时还款、信用记录良好，利率优惠{}",
        "low_income": "享受低收入户优惠利率{}",
    }
    for code in CONTRIBUTION_CODES:
        if code in by_code:
            words.append(sentences[code].format(percentage_points(-by_code[code])))
    if "contribution_cap" in by_code:
        earned = -sum(by_code.get(code, 0) for code in CONTRIBUTION_CODES)
        cap = earned - by_code["contribution_cap"]
        words.append(f"以上贡献优惠合计最多{percentage_points(cap)}，已按此上限计算")
    if "low_income" in by_code:
        words.append(sentences["low_income"].format(percentage_points(-by_code["low_income"])))
    if "floor" in by_code:
        words.append(f"利率已按最低{result.percent}执行")
    if "ceiling" in by_code:
        words.append(f"利率已按最高{result.percent}执行")
    return words
