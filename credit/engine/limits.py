"""The credit limit (授信额度): min(grade cap, income × multiple, net assets × multiple), rounded
down, with the trace of every term that produced it."""

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


@dataclass(frozen=True)
class LimitInputs:
    grade: str
    grants_credit: bool  # from the rating result; False for B
    knocked_out: bool
    net_annual_income: Decimal | None  # None: not in the archive
    net_assets: Decimal | None


@dataclass(frozen=True)
class LimitResult:
    amount: Decimal  # yuan, 2 places; 0 when no credit
    terms: tuple[Term, ...]  # empty when the grade or a knock-out rules credit out
    online_eligible: bool  # within [online_min, online_max]
    reason: str  # Chinese, for the back office: why zero, or what bound the limit
    grade: str = ""
    binding: str = ""  # "grade_cap", "income" or "assets" when the limit is positive
    # "" when granted; else "knocked_out", "no_credit_grade", "no_cap", "missing_data",
    # "non_positive_income", "non_positive_assets" or "below_rounding_unit"
    reason_code: str = ""

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
        )


def credit_limit(policy: CreditPolicy, inputs: LimitInputs) -> LimitResult:
    """The household's limit under ``policy``. Never negative; a missing income or net assets
    counts as 0 (no credit), and ``reason`` says so."""
    grade = inputs.grade
    if inputs.knocked_out:
        return _no_credit(inputs, "knocked_out", "被一票否决，不予授信")
    if not inputs.grants_credit or grade in NO_CREDIT_GRADES:
        return _no_credit(inputs, "no_credit_grade", f"评级为{grade}，不予授信")
    cap = policy.grade_caps.get(grade)
    if cap is None:
        return _no_credit(inputs, "no_cap", f"授信政策未设置{grade}级的额度上限，不予授信")

    income, assets = inputs.net_annual_income, inputs.net_assets
    by_income = (income or ZERO) * policy.income_multiple
    by_assets = (assets or ZERO) * policy.asset_multiple
    candidates = {
        "grade_cap": (cap, f"{grade}级额度上限"),
        "income": (by_income, f"家庭年净收入×{plain_number(policy.income_multiple)}"),
        "assets": (by_assets, f"家庭净资产×{plain_number(policy.asset_multiple)}"),
    }
    # min() keeps the first of equal values: a cap that ties still "binds".
    binding = min(candidates, key=lambda code: candidates[code][0])
    bound = candidates[binding][0]
    amount = _round_down(bound, policy.rounding_unit)
    terms = (
        Term("grade_cap", candidates["grade_cap"][1], cap),
        Term(
            "income",
            candidates["income"][1],
            by_income,
            _times(income, policy.income_multiple, "缺少家庭年净收入数据，按0计"),
        ),
        Term(
            "assets",
            candidates["assets"][1],
            by_assets,
            _times(assets, policy.asset_multiple, "缺少家庭净资产数据，按0计"),
        ),
        Term("binding", "三者取最小值", bound, f"受{candidates[binding][1]}约束"),
        Term(
            "rounding",
            f"向下取整到{yuan(policy.rounding_unit)}的整数倍",
            amount,
            "额度不低于0" if bound < 0 else "",
        ),
    )
    reason_code, reason = _why(inputs, amount, policy.rounding_unit)
    return LimitResult(
        amount=amount,
        terms=terms,
        online_eligible=amount > 0 and policy.online_min <= amount <= policy.online_max,
        reason=reason or f"额度受{candidates[binding][1]}约束",
        grade=grade,
        binding=binding if amount > 0 else "",
        reason_code=reason_code,
    )


def _no_credit(inputs: LimitInputs, code: str, reason: str) -> LimitResult:
    return LimitResult(ZERO, (), False, reason, grade=inputs.grade, reason_code=code)


def _times(value: Decimal | None, multiple: Decimal, missing: str) -> str:
    return missing if value is None else f"{yuan(value)}×{plain_number(multiple)}"


def _round_down(value: Decimal, unit: Decimal) -> Decimal:
    if value <= 0:
        return ZERO
    return ((value / unit).to_integral_value(rounding=ROUND_FLOOR) * unit).quantize(CENT)


def _why(inputs: LimitInputs, amount: Decimal, unit: Decimal) -> tuple[str, str]:
    income, assets = inputs.net_annual_income, inputs.net_assets
    if income is None or assets is None:
        missing = "和".join(
            name
            for name, value in (("家庭年净收入", income), ("家庭净资产", assets))
            if value is None
        )
        return "missing_data", f"缺少{missing}数据，暂不授信"
    if income <= 0:
        return "non_positive_income", f"家庭年净收入为{'负' if income < 0 else '0'}，不予授信"
    if assets <= 0:
        return "non_positive_assets", f"家庭净资产为{'负' if assets < 0 else '0'}，不予授信"
    if amount == 0:
        return "below_rounding_unit", f"测算额度不足{yuan(unit)}，不予授信"
    return "", ""
