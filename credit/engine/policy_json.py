"""A credit policy as JSON: written with exact decimals, read back field by field with Chinese
messages for everything wrong at once; and the seeded policy (docs/design.md §4.6) as data."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from credit.engine.policy import (
    ENTITY_FIELDS,
    ENTITY_KINDS,
    FIELD_LABELS,
    NON_FIELD_ERRORS,
    CreditPolicy,
    DepositTiers,
    FrozenMapping,
    PolicyError,
    V,
)
from credit.engine.policy_checks import policy_problems

# --- JSON -------------------------------------------------------------------------------------


def policy_to_json(policy: CreditPolicy) -> dict[str, Any]:
    """The policy as JSON-ready data: exact decimals as strings, basis points as integers."""
    return {
        "version": policy.version,
        "effective_from": policy.effective_from.isoformat(),
        "grade_caps": {grade: str(cap) for grade, cap in policy.grade_caps.items()},
        "income_multiple": str(policy.income_multiple),
        "asset_multiple": str(policy.asset_multiple),
        "rounding_unit": str(policy.rounding_unit),
        "online_min": str(policy.online_min),
        "online_max": str(policy.online_max),
        "validity_months": policy.validity_months,
        "lpr_bp": policy.lpr_bp,
        "grade_spreads_bp": dict(policy.grade_spreads_bp),
        "deposit_discounts": [[str(share), bp] for share, bp in policy.deposit_discounts],
        "payroll_bp": policy.payroll_bp,
        "mobile_banking_bp": policy.mobile_banking_bp,
        "clean_history_bp": policy.clean_history_bp,
        "contribution_cap_bp": policy.contribution_cap_bp,
        "low_income_bp": policy.low_income_bp,
        "floor_bp": policy.floor_bp,
        "ceiling_spread_bp": policy.ceiling_spread_bp,
        **_entity_to_json(policy),
    }


def _entity_to_json(policy: CreditPolicy) -> dict[str, Any]:
    """The entity fields, written only when the version has them (so a version drafted before
    they existed round-trips unchanged)."""
    if not policy.has_entity_rules:
        return {}
    assert policy.entity_grade_caps is not None  # noqa: S101  (has_entity_rules)
    assert policy.entity_margins is not None  # noqa: S101
    return {
        "entity_grade_caps": {g: str(cap) for g, cap in policy.entity_grade_caps.items()},
        "entity_profit_multiple": str(policy.entity_profit_multiple),
        "entity_asset_multiple": str(policy.entity_asset_multiple),
        "entity_margins": {kind: str(m) for kind, m in policy.entity_margins.items()},
    }


def policy_from_json(data: Mapping[str, Any]) -> CreditPolicy:
    """Read a policy written by :func:`policy_to_json` (or by hand). Every field is required,
    except the four entity fields, which come all together or not at all (without them the
    version grants entities nothing). Raises :class:`PolicyError` listing everything wrong at
    once, in Chinese."""
    if not isinstance(data, Mapping):
        raise PolicyError({NON_FIELD_ERRORS: ["授信政策必须是一个JSON对象"]})
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    unknown = [str(key) for key in data if key not in FIELD_LABELS]
    if unknown:
        errors[NON_FIELD_ERRORS] = [f"未知字段“{key}”" for key in unknown]
    without_entities = not any(name in data for name in ENTITY_FIELDS)
    for name, label in FIELD_LABELS.items():
        if name not in data:
            if name in ENTITY_FIELDS and without_entities:
                values[name] = None  # a version that does not lend to entities
                continue
            errors.setdefault(name, []).append(f"缺少字段：{label}（{name}）")
            continue
        try:
            values[name] = _READERS[name](data[name], label)
        except _Unreadable as exc:
            errors.setdefault(name, []).extend(exc.messages)
    for name, messages in policy_problems(values).items():
        errors.setdefault(name, []).extend(messages)
    if errors:
        raise PolicyError(errors)
    return CreditPolicy(**values)


# --- reading one field ------------------------------------------------------------------------


class _Unreadable(Exception):
    def __init__(self, *messages: str) -> None:
        self.messages = list(messages)
        super().__init__(*messages)


def _read_text(value: Any, label: str) -> str:
    if not isinstance(value, str):
        raise _Unreadable(f"{label}必须是文字")
    return value


def _read_date(value: Any, label: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise _Unreadable(f"{label}必须是YYYY-MM-DD格式的日期，例如2026-01-01") from None


def _read_decimal(value: Any, label: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise _Unreadable(f"{label}必须是数字")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _Unreadable(f"{label}必须是数字，“{value}”无法识别") from None
    if not number.is_finite():
        raise _Unreadable(f"{label}必须是有限的数字")
    return number


def _read_int(value: Any, label: str, unit: str = "") -> int:
    # JSON integers only: 30.5 basis points or "30" is a typo, not something to round.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Unreadable(f"{label}必须是整数{unit}，不能是“{value}”")
    return value


def _read_bp(value: Any, label: str) -> int:
    return _read_int(value, label, "（基点）")


def _read_months(value: Any, label: str) -> int:
    return _read_int(value, label, "（月数）")


def _read_grade_map(value: Any, label: str, read: Callable[[Any, str], V]) -> FrozenMapping[V]:
    if not isinstance(value, Mapping):
        raise _Unreadable(f'{label}必须是“等级: 数值”的对象，例如{{"AA": ...}}')
    result: dict[str, V] = {}
    messages: list[str] = []
    for grade, item in value.items():
        try:
            result[str(grade)] = read(item, f"{label}（{grade}）")
        except _Unreadable as exc:
            messages += exc.messages
    if messages:
        raise _Unreadable(*messages)
    return FrozenMapping(result)


def _read_caps(value: Any, label: str) -> FrozenMapping[Decimal]:
    return _read_grade_map(value, label, _read_decimal)


def _read_spreads(value: Any, label: str) -> FrozenMapping[int]:
    return _read_grade_map(value, label, _read_bp)


def _read_margins(value: Any, label: str) -> FrozenMapping[Decimal]:
    if not isinstance(value, Mapping):
        raise _Unreadable(f'{label}必须是“主体类型: 利润率”的对象，例如{{"family_farm": "0.15"}}')
    result: dict[str, Decimal] = {}
    messages: list[str] = []
    for kind, item in value.items():
        try:
            result[str(kind)] = _read_decimal(item, f"{label}（{ENTITY_KINDS.get(kind, kind)}）")
        except _Unreadable as exc:
            messages += exc.messages
    if messages:
        raise _Unreadable(*messages)
    return FrozenMapping(result)


def _read_tiers(value: Any, label: str) -> DepositTiers:
    if not isinstance(value, list | tuple):
        raise _Unreadable(f"{label}必须是[[占比, 优惠基点], ...]的列表")
    tiers: list[tuple[Decimal, int]] = []
    messages: list[str] = []
    for number, tier in enumerate(value, start=1):
        where = f"{label}第{number}档"
        if not isinstance(tier, list | tuple) or len(tier) != 2:
            messages.append(f"{where}必须是[占比, 优惠基点]两个值")
            continue
        try:
            tiers.append((_read_decimal(tier[0], f"{where}的占比"), _read_bp(tier[1], where)))
        except _Unreadable as exc:
            messages += exc.messages
    if messages:
        raise _Unreadable(*messages)
    return tuple(tiers)


_READERS: dict[str, Callable[[Any, str], Any]] = {
    "version": _read_text,
    "effective_from": _read_date,
    "grade_caps": _read_caps,
    "income_multiple": _read_decimal,
    "asset_multiple": _read_decimal,
    "rounding_unit": _read_decimal,
    "online_min": _read_decimal,
    "online_max": _read_decimal,
    "validity_months": _read_months,
    "lpr_bp": _read_bp,
    "grade_spreads_bp": _read_spreads,
    "deposit_discounts": _read_tiers,
    "payroll_bp": _read_bp,
    "mobile_banking_bp": _read_bp,
    "clean_history_bp": _read_bp,
    "contribution_cap_bp": _read_bp,
    "low_income_bp": _read_bp,
    "floor_bp": _read_bp,
    "ceiling_spread_bp": _read_bp,
    "entity_grade_caps": _read_caps,
    "entity_profit_multiple": _read_decimal,
    "entity_asset_multiple": _read_decimal,
    "entity_margins": _read_margins,
}

# --- the seeded policy ------------------------------------------------------------------------

# docs/design.md §4.6 as data, the form the database and the policy page store, with the entity
# rules
# of issue 11 (the seeded 2026.1 predates them; migration 0010_entity_limit_policy seeds them
# as a version of their own, from its frozen copy of the ``entity_*`` values below). Copy
# before changing.
DEFAULT_POLICY_JSON: dict[str, Any] = {
    "version": "2026.1",
    "effective_from": "2026-01-01",
    "grade_caps": {"AAA": "500000", "AA": "300000", "A": "100000"},
    "income_multiple": "3",
    "asset_multiple": "0.5",
    "rounding_unit": "1000",
    "online_min": "50000",
    "online_max": "500000",
    "validity_months": 36,
    "lpr_bp": 300,
    "grade_spreads_bp": {"AAA": 100, "AA": 150, "A": 250},
    "deposit_discounts": [["0.5", 30], ["0.2", 20], ["0.1", 10]],
    "payroll_bp": 10,
    "mobile_banking_bp": 5,
    "clean_history_bp": 10,
    "contribution_cap_bp": 60,
    "low_income_bp": 50,
    "floor_bp": 345,
    "ceiling_spread_bp": 485,
    "entity_grade_caps": {"AAA": "1000000", "AA": "600000", "A": "200000"},
    "entity_profit_multiple": "3",
    "entity_asset_multiple": "0.5",
    "entity_margins": {
        "micro_enterprise": "0.08",
        "individual_business": "0.10",
        "family_farm": "0.15",
        "cooperative": "0.05",
        "large_grower": "0.15",
    },
}
# Read without the checks: they price households with ``pricing``, which builds on
# ``policy`` (the tests hold that ``policy_from_json`` accepts it and gives the same policy).
DEFAULT_POLICY: CreditPolicy = CreditPolicy(
    **{
        name: _READERS[name](DEFAULT_POLICY_JSON[name], label)
        for name, label in FIELD_LABELS.items()
    }
)
