"""The credit limit (授信额度): min(grade cap, income × multiple, net assets × multiple), rounded
down, with the trace of every term that produced it.

A household's income is its net annual income (家庭年净收入). A business entity rated on its own
card is limited on its net operating profit (年净利润: revenue − costs, or revenue × the
policy's margin for its kind when the archive records no costs) with the policy's entity caps
and multiples — never on its revenue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from credit.engine.formatting import plain_number, yuan
from credit.engine.policy import NO_CREDIT_GRADES, CreditPolicy

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Term:
    """One line of a trace. Limit terms carry yuan (``Decimal``); rate terms signed basis
    points (``int``) that add up to the rate."""

    code: str
    label: str  # Chinese, shown as is
    value: Decimal | int
    note: str = ""


def terms_to_json(terms: Sequence[Term]) -> list[dict[str, Any]]:
    """Terms as JSON-ready data (yuan as exact strings, basis points as integers)."""
    return [
        {
            "code": t.code,
            "label": t.label,
            "value": str(t.value) if isinstance(t.value, Decimal) else t.value,
            "note": t.note,
        }
        for t in terms
    ]


def terms_from_json(data: Sequence[Mapping[str, Any]]) -> tuple[Term, ...]:
    return tuple(
        Term(
            code=str(t["code"]),
            label=str(t["label"]),
            value=Decimal(t["value"]) if isinstance(t["value"], str) else int(t["value"]),
            note=str(t.get("note", "")),
        )
        for t in data
    )


HOUSEHOLD = "household"
ENTITY = "entity"

# Kinds of business entity with no legal personality of their own (个体工商户, 家庭农场, 种养大户):
# run by a household member, their debts are the family's, so once linked to the owner's
# household they draw on the household's line — one exposure, one limit — and get no line of
# their own. A company (小微企业) or a cooperative (农民专业合作社) is a borrower in its own right
# and keeps its own line, as does any entity not linked to a household.
SHARED_LINE_KINDS: frozenset[str] = frozenset(
    {"individual_business", "family_farm", "large_grower"}
)


def shares_household_line(kind: str, *, has_owner_household: bool) -> bool:
    """Whether an entity of ``kind`` draws on its owner household's line (no line of its own)."""
    return has_owner_household and kind in SHARED_LINE_KINDS


@dataclass(frozen=True)
class LimitBasis:
    """What a subject's limit is measured on, under one policy: a household's caps and
    multiples of net annual income and net assets, or an entity's of net operating profit and
    net assets; the trace's names for them."""

    caps: Mapping[str, Decimal]
    income_multiple: Decimal
    asset_multiple: Decimal
    income_code: str  # the trace's and ``binding``'s code: "income" or "profit"
    income_name: str
    assets_name: str
    cap_prefix: str = ""  # "经营主体" before "AA级额度上限"


def limit_basis(policy: CreditPolicy, subject: str = HOUSEHOLD) -> LimitBasis | None:
    """The basis of ``subject``'s limit under ``policy``; ``None`` for an entity under a version
    without entity rules (it grants entities nothing)."""
    if subject != ENTITY:
        return LimitBasis(
            policy.grade_caps,
            policy.income_multiple,
            policy.asset_multiple,
            "income",
            "家庭年净收入",
            "家庭净资产",
        )
    if not policy.has_entity_rules:
        return None
    assert policy.entity_grade_caps is not None  # noqa: S101  (has_entity_rules)
    assert policy.entity_profit_multiple is not None  # noqa: S101
    assert policy.entity_asset_multiple is not None  # noqa: S101
    return LimitBasis(
        policy.entity_grade_caps,
        policy.entity_profit_multiple,
        policy.entity_asset_multiple,
        "profit",
        "经营主体年净利润",
        "经营主体净资产",
        "经营主体",
    )


def entity_net_profit(
    policy: CreditPolicy, *, kind: str, revenue: Decimal | None, costs: Decimal | None
) -> Decimal | None:
    """An entity's net operating profit (年净利润): revenue − costs when the archive records its
    costs, else revenue × the policy's margin for its ``kind``. ``None`` when the revenue is
    unknown, or the costs are and the policy has no margin for the kind."""
    if revenue is None:
        return None
    if costs is not None:
        return revenue - costs
    margin = (policy.entity_margins or {}).get(kind)
    return None if margin is None else revenue * margin


@dataclass(frozen=True)
class LimitInputs:
    grade: str
    grants_credit: bool  # from the rating result; False for B
    knocked_out: bool
    # a household's net annual income; for ``subject="entity"`` the entity's net operating
    # profit (``entity_net_profit``). None: not in the archive
    net_annual_income: Decimal | None
    net_assets: Decimal | None
    subject: str = HOUSEHOLD  # or ENTITY: a business entity rated on its own card


@dataclass(frozen=True)
class LimitResult:
    amount: Decimal  # yuan, 2 places; 0 when no credit
    terms: tuple[Term, ...]  # empty when the grade or a knock-out rules credit out
    online_eligible: bool  # within [online_min, online_max]
    reason: str  # Chinese, for the back office: why zero, or what bound the limit
    grade: str = ""
    # "grade_cap", "income" (an entity's: "profit") or "assets" when the limit is positive
    binding: str = ""
    # "" when granted; else "knocked_out", "no_credit_grade", "no_entity_rules", "no_cap",
    # "missing_data", "non_positive_income" (an entity's: "non_positive_profit"),
    # "non_positive_assets" or "below_rounding_unit"
    reason_code: str = ""
    subject: str = HOUSEHOLD

    @property
    def granted(self) -> bool:
        return self.amount > 0

    def to_json(self) -> dict[str, Any]:
        """The result and its trace as JSON-ready data, to store beside the credit line."""
        return {
            "grade": self.grade,
            "amount": str(self.amount),
            "online_eligible": self.online_eligible,
            "reason": self.reason,
            "reason_code": self.reason_code,
            "binding": self.binding,
            "subject": self.subject,
            "terms": terms_to_json(self.terms),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LimitResult:
        return cls(
            amount=Decimal(data["amount"]),
            terms=terms_from_json(data["terms"]),
            online_eligible=bool(data["online_eligible"]),
            reason=str(data["reason"]),
            grade=str(data.get("grade", "")),
            binding=str(data.get("binding", "")),
            reason_code=str(data.get("reason_code", "")),
            subject=str(data.get("subject", HOUSEHOLD)),
        )


def credit_limit(policy: CreditPolicy, inputs: LimitInputs) -> LimitResult:
    """The subject's limit under ``policy`` (a household's, or an entity's on its own basis:
    ``limit_basis``). Never negative; a missing income (profit) or net assets counts as 0 (no
    credit), and ``reason`` says so."""
    grade = inputs.grade
    if inputs.knocked_out:
        return _no_credit(inputs, "knocked_out", "被一票否决，不予授信")
    if not inputs.grants_credit or grade in NO_CREDIT_GRADES:
        return _no_credit(inputs, "no_credit_grade", f"评级为{grade}，不予授信")
    basis = limit_basis(policy, inputs.subject)
    if basis is None:
        return _no_credit(
            inputs, "no_entity_rules", f"授信政策{policy.version}未设置经营主体授信规则，不予授信"
        )
    cap = basis.caps.get(grade)
    if cap is None:
        return _no_credit(
            inputs, "no_cap", f"授信政策未设置{basis.cap_prefix}{grade}级的额度上限，不予授信"
        )

    income, assets = inputs.net_annual_income, inputs.net_assets
    by_income = (income or ZERO) * basis.income_multiple
    by_assets = (assets or ZERO) * basis.asset_multiple
    code = basis.income_code
    candidates = {
        "grade_cap": (cap, f"{basis.cap_prefix}{grade}级额度上限"),
        code: (by_income, f"{basis.income_name}×{plain_number(basis.income_multiple)}"),
        "assets": (by_assets, f"{basis.assets_name}×{plain_number(basis.asset_multiple)}"),
    }
    # min() keeps the first of equal values: a cap that ties still "binds".
    binding = min(candidates, key=lambda c: candidates[c][0])
    bound = candidates[binding][0]
    amount = _round_down(bound, policy.rounding_unit)
    terms = (
        Term("grade_cap", candidates["grade_cap"][1], cap),
        Term(
            code,
            candidates[code][1],
            by_income,
            _times(income, basis.income_multiple, f"缺少{basis.income_name}数据，按0计"),
        ),
        Term(
            "assets",
            candidates["assets"][1],
            by_assets,
            _times(assets, basis.asset_multiple, f"缺少{basis.assets_name}数据，按0计"),
        ),
        Term("binding", "三者取最小值", bound, f"受{candidates[binding][1]}约束"),
        Term(
            "rounding",
            f"向下取整到{yuan(policy.rounding_unit)}的整数倍",
            amount,
            "额度不低于0" if bound < 0 else "",
        ),
    )
    reason_code, reason = _why(inputs, basis, amount, policy.rounding_unit)
    return LimitResult(
        amount=amount,
        terms=terms,
        online_eligible=amount > 0 and policy.online_min <= amount <= policy.online_max,
        reason=reason or f"额度受{candidates[binding][1]}约束",
        grade=grade,
        binding=binding if amount > 0 else "",
        reason_code=reason_code,
        subject=inputs.subject,
    )


def _no_credit(inputs: LimitInputs, code: str, reason: str) -> LimitResult:
    return LimitResult(
        ZERO, (), False, reason, grade=inputs.grade, reason_code=code, subject=inputs.subject
    )


def _times(value: Decimal | None, multiple: Decimal, missing: str) -> str:
    return missing if value is None else f"{yuan(value)}×{plain_number(multiple)}"


def _round_down(value: Decimal, unit: Decimal) -> Decimal:
    if value <= 0:
        return ZERO
    return ((value / unit).to_integral_value(rounding=ROUND_FLOOR) * unit).quantize(CENT)


def _why(inputs: LimitInputs, basis: LimitBasis, amount: Decimal, unit: Decimal) -> tuple[str, str]:
    income, assets = inputs.net_annual_income, inputs.net_assets
    income_name, assets_name = basis.income_name, basis.assets_name
    if income is None or assets is None:
        missing = "和".join(
            name for name, value in ((income_name, income), (assets_name, assets)) if value is None
        )
        return "missing_data", f"缺少{missing}数据，暂不授信"
    if income <= 0:
        sign = "负" if income < 0 else "0"
        return f"non_positive_{basis.income_code}", f"{income_name}为{sign}，不予授信"
    if assets <= 0:
        return "non_positive_assets", f"{assets_name}为{'负' if assets < 0 else '0'}，不予授信"
    if amount == 0:
        return "below_rounding_unit", f"测算额度不足{yuan(unit)}，不予授信"
    return "", ""
