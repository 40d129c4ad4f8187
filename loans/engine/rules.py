"""Admission (准入) of a loan application — pure Python.

``check_request`` refuses what no application may ask (an amount outside the product's range,
a term or repayment method the product does not offer): the service raises those as input
errors and stores nothing. ``decide`` then judges the applicant — grade, kind of subject, the
product's own rule (惠农快贷: farming; 公信贷: public employees), the line (active, not expired,
not held, enough available), the whitelist — and says approve, decline (with every reason) or
send to an officer (房抵贷: collateral, never instant).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from loans.engine.schedules import METHOD_LABELS

RULE_NONE = ""
RULE_FARMING = "farming"
RULE_PUBLIC_EMPLOYEE = "public_employee"

HOUSEHOLD = "household"
SUBJECT_KIND_LABELS = {
    HOUSEHOLD: "农户",
    "micro_enterprise": "小微企业",
    "individual_business": "个体工商户",
    "family_farm": "家庭农场",
    "cooperative": "农民专业合作社",
    "large_grower": "种养大户",
}
AGRICULTURAL_KINDS = frozenset({"family_farm", "cooperative", "large_grower"})

APPROVE = "approved"
DECLINE = "declined"
REVIEW = "under_review"


@dataclass(frozen=True)
class ProductTerms:
    """What a product version offers (the product as data)."""

    name: str
    min_amount: Decimal
    max_amount: Decimal
    grades: Sequence[str]
    subject_kinds: Sequence[str]
    terms_months: Sequence[int]
    methods: Sequence[str]
    online: bool
    needs_review: bool = False
    rule: str = RULE_NONE
    farming_income_share: Decimal = Decimal("0.30")
    farming_land_mu: Decimal = Decimal(3)
    collateral_ratio: Decimal | None = None  # 房抵贷: amount ≤ collateral value × ratio


@dataclass(frozen=True)
class Applicant:
    """What admission reads about the borrower (a household, or an entity with its own line)."""

    kind: str  # "household" or an entity kind
    has_public_employee: bool = False
    agricultural_income: Decimal = Decimal(0)  # crops + livestock
    annual_income: Decimal = Decimal(0)
    land_mu: Decimal = Decimal(0)


@dataclass(frozen=True)
class LineFacts:
    """The subject's current credit line, checked fresh at decision time (``None``: no line)."""

    grade: str
    amount: Decimal
    status: str  # credit's line status: active / suspended / expired / revoked
    valid_to: date
    online_eligible: bool
    available: Decimal  # the line's amount less what the subject's contracts occupy


@dataclass(frozen=True)
class LoanRequest:
    amount: Decimal
    term_months: int
    method: str
    collateral_value: Decimal | None = None


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    field: str = "__all__"


@dataclass(frozen=True)
class Decision:
    outcome: str
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def approved(self) -> bool:
        return self.outcome == APPROVE


def yuan(amount: Decimal) -> str:
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"


def check_request(product: ProductTerms, request: LoanRequest) -> list[Reason]:
    """Input errors: what the product never offers, whoever asks."""
    reasons = []
    if not product.min_amount <= request.amount <= product.max_amount:
        reasons.append(
            Reason(
                "amount_out_of_range",
                f"申请金额须在{yuan(product.min_amount)}元至{yuan(product.max_amount)}元之间"
                f"（{product.name}的金额范围），您填写的是{yuan(request.amount)}元",
                "amount",
            )
        )
    if request.term_months not in product.terms_months:
        offered = "、".join(str(t) for t in product.terms_months)
        reasons.append(
            Reason(
                "term_not_offered",
                f"贷款期限须为{offered}个月之一（{product.name}可选期限），"
                f"不提供{request.term_months}个月",
                "term_months",
            )
        )
    if request.method not in product.methods:
        offered = "、".join(METHOD_LABELS.get(m, m) for m in product.methods)
        reasons.append(
            Reason(
                "method_not_offered",
                f"还款方式须为{offered}之一（{product.name}可选还款方式）",
                "repayment_method",
            )
        )
    if product.collateral_ratio is not None:
        if request.collateral_value is None or request.collateral_value <= 0:
            reasons.append(
                Reason(
                    "collateral_missing",
                    f"{product.name}须提供抵押房产的评估价值（大于0）",
                    "collateral_value",
                )
            )
        elif request.amount > request.collateral_value * product.collateral_ratio:
            reasons.append(
                Reason(
                    "collateral_short",
                    f"申请金额不能超过抵押房产评估价值的{product.collateral_ratio:.0%}"
                    f"（{yuan(request.collateral_value * product.collateral_ratio)}元）",
                    "amount",
                )
            )
    return reasons


def is_farming(product: ProductTerms, applicant: Applicant) -> bool:
    """惠农快贷's rule: an agricultural entity, or a household whose crops and livestock bring
    at least the product's share of its income (30%) or that farms at least its land (3 亩)."""
    if applicant.kind in AGRICULTURAL_KINDS:
        return True
    if applicant.kind != HOUSEHOLD:
        return False
    if applicant.land_mu >= product.farming_land_mu:
        return True
    return (
        applicant.annual_income > 0
        and applicant.agricultural_income >= applicant.annual_income * product.farming_income_share
    )


def eligibility_reasons(product: ProductTerms, applicant: Applicant, grade: str) -> list[Reason]:
    """Who the product is for: subject kind, grade, the product's own rule (also what the
    whitelist selects)."""
    reasons = []
    if applicant.kind not in product.subject_kinds:
        kinds = "、".join(SUBJECT_KIND_LABELS.get(k, k) for k in product.subject_kinds)
        reasons.append(Reason("kind_not_eligible", f"{product.name}仅面向{kinds}"))
    if grade not in product.grades:
        reasons.append(
            Reason(
                "grade_not_eligible",
                f"{product.name}的准入评级为{'、'.join(product.grades)}，当前评级为{grade or '无'}",
            )
        )
    if product.rule == RULE_PUBLIC_EMPLOYEE and not applicant.has_public_employee:
        reasons.append(
            Reason("not_public_employee", f"{product.name}仅限家庭成员中有公职人员的农户申请")
        )
    if product.rule == RULE_FARMING and not is_farming(product, applicant):
        reasons.append(
            Reason(
                "not_farming",
                f"{product.name}仅限从事种养殖的农户和新型农业经营主体申请"
                f"（种养殖收入占家庭收入{product.farming_income_share:.0%}以上，"
                f"或承包土地{product.farming_land_mu:g}亩以上）",
            )
        )
    return reasons


ADULT_AGE = 18
BORROWING_RELATIONS = ("head", "spouse")  # 户主, 户主的配偶


def age_on(birth_date: date, day: date) -> int:
    """Whole years of age on ``day``."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def person_reasons(relation: str, birth_date: date, as_of: date) -> list[Reason]:
    """Who may borrow for a household, at applying and at signing: its head, or the head's
    spouse, aged 18 or more, in person (verified with their own SMS code and ID)."""
    if relation not in BORROWING_RELATIONS:
        return [
            Reason(
                "not_head_or_spouse",
                "只有户主或户主的配偶（年满18周岁）本人可以申请和签约贷款，"
                "其他家庭成员不能办理；请户主或其配偶本人验证身份后办理",
            )
        ]
    if age_on(birth_date, as_of) < ADULT_AGE:
        return [Reason("minor", "借款人须年满18周岁，未满18周岁不能申请或签约贷款")]
    return []


LINE_STATUS_REASONS = {
    "suspended": ("line_suspended", "授信额度已冻结，暂不能申请贷款，请联系您的客户经理"),
    "revoked": ("line_revoked", "授信额度已撤销，不能申请贷款，请联系您的客户经理"),
    "expired": ("line_expired", "授信额度已到期，请联系您的客户经理重新评级授信"),
}


def line_reasons(
    product: ProductTerms, line: LineFacts | None, amount: Decimal, as_of: date
) -> list[Reason]:
    """The fresh check of the line: there is one, active, not past its end, online if the
    product is, and enough of it available."""
    if line is None:
        return [Reason("no_line", "暂无有效的授信额度，请联系您的客户经理")]
    if line.status in LINE_STATUS_REASONS:
        return [Reason(*LINE_STATUS_REASONS[line.status])]
    if line.valid_to < as_of:
        return [Reason(*LINE_STATUS_REASONS["expired"])]
    reasons = []
    if product.online and not line.online_eligible:
        reasons.append(
            Reason("line_not_online", "授信额度暂不能在线上办理，请联系您的客户经理", "amount")
        )
    if amount > line.available:
        reasons.append(
            Reason(
                "amount_above_available",
                f"申请金额{yuan(amount)}元超过可用授信额度{yuan(line.available)}元",
                "amount",
            )
        )
    return reasons


def decide(
    product: ProductTerms,
    applicant: Applicant,
    request: LoanRequest,
    line: LineFacts | None,
    *,
    on_whitelist: bool,
    as_of: date,
) -> Decision:
    """The instant decision (秒批). Input errors (``check_request``) come first and are the
    caller's to refuse. Every reason is returned, not only the first."""
    reasons = eligibility_reasons(product, applicant, line.grade if line else "")
    reasons += line_reasons(product, line, request.amount, as_of)
    if not reasons and not on_whitelist:
        reasons.append(Reason("not_on_whitelist", f"暂不在{product.name}的白名单内"))
    if reasons:
        return Decision(DECLINE, tuple(reasons))
    if product.needs_review:
        return Decision(REVIEW)
    return Decision(APPROVE)
