"""Credit policy as data (授信与定价政策): caps, multiples, LPR, spreads, discounts, floor and
ceiling — versioned and effective-dated, read from and written to JSON, checked before use.

Business entities rated on their own card have a limit basis of their own (``entity_*``: caps
per grade, multiples of net operating profit and net assets, and the profit margin per kind of
entity for archives without costs). The four fields come together or not at all: a version
without them (drafted before they existed, such as the seeded 2026.1) grants entities nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from credit.engine.formatting import (
    percentage_points,
    plain_number,
    rate_percent,
    share_percent,
    yuan,
)

# Rating's grades, best first (DESIGN §4.5). B never gets credit.
GRADES: tuple[str, ...] = ("AAA", "AA", "A", "B")
NO_CREDIT_GRADES: frozenset[str] = frozenset({"B"})
NON_FIELD_ERRORS = "__all__"  # PolicyError key for messages about the document as a whole

V = TypeVar("V")


class FrozenMapping(Mapping[str, V]):
    """A read-only dict for policy data: hashable (so the policy is), and unlike
    ``MappingProxyType`` it pickles and deep-copies (Django's cache, ``dataclasses.asdict``)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, V] | None = None) -> None:
        self._data: dict[str, V] = dict(data or {})

    def __getitem__(self, key: str) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return f"FrozenMapping({self._data!r})"


def _default_caps() -> FrozenMapping[Decimal]:
    return FrozenMapping({"AAA": Decimal(500000), "AA": Decimal(300000), "A": Decimal(100000)})


def _default_spreads() -> FrozenMapping[int]:
    return FrozenMapping({"AAA": 100, "AA": 150, "A": 250})


# The kinds of business entity (``households.EntityKind``'s codes; a test keeps them equal) and
# their Chinese names for messages.
ENTITY_KINDS: dict[str, str] = {
    "micro_enterprise": "小微企业",
    "individual_business": "个体工商户",
    "family_farm": "家庭农场",
    "cooperative": "农民专业合作社",
    "large_grower": "种养大户",
}
# Optional as a group: all present (the version lends to entities) or none (it does not).
ENTITY_FIELDS: tuple[str, ...] = (
    "entity_grade_caps",
    "entity_profit_multiple",
    "entity_asset_multiple",
    "entity_margins",
)


def _default_entity_caps() -> FrozenMapping[Decimal]:
    return FrozenMapping({"AAA": Decimal(1000000), "AA": Decimal(600000), "A": Decimal(200000)})


def _default_margins() -> FrozenMapping[Decimal]:
    return FrozenMapping(
        {
            "micro_enterprise": Decimal("0.08"),
            "individual_business": Decimal("0.10"),
            "family_farm": Decimal("0.15"),
            "cooperative": Decimal("0.05"),
            "large_grower": Decimal("0.15"),
        }
    )


DepositTiers = tuple[tuple[Decimal, int], ...]


@dataclass(frozen=True, kw_only=True)
class CreditPolicy:
    """One version of the policy. Keyword-only: twenty numbers are too many to pass by position.
    Constructing one does not check it — :func:`validate_policy` (or :func:`policy_from_json`)
    does; the engines assume a valid policy."""

    version: str
    effective_from: date
    grade_caps: Mapping[str, Decimal] = field(default_factory=_default_caps)  # unlisted: no credit
    income_multiple: Decimal = Decimal(3)
    asset_multiple: Decimal = Decimal("0.5")
    rounding_unit: Decimal = Decimal(1000)  # the limit is rounded down to a multiple of this
    online_min: Decimal = Decimal(50000)
    online_max: Decimal = Decimal(500000)
    validity_months: int = 36
    lpr_bp: int  # one-year LPR in basis points: 300 = 3.00%
    grade_spreads_bp: Mapping[str, int] = field(default_factory=_default_spreads)
    # (average daily deposit here ÷ limit, discount): the best tier reached applies
    deposit_discounts: DepositTiers = (
        (Decimal("0.5"), 30),
        (Decimal("0.2"), 20),
        (Decimal("0.1"), 10),
    )
    payroll_bp: int = 10
    mobile_banking_bp: int = 5
    clean_history_bp: int = 10
    contribution_cap_bp: int = 60  # deposit + payroll + mobile banking + clean history, at most
    low_income_bp: int = 50
    floor_bp: int = 345
    ceiling_spread_bp: int = 485  # ceiling = LPR + this
    # Business entities rated on their own card (None: this version grants entities nothing).
    # limit = min(cap, net operating profit × profit multiple, net assets × asset multiple);
    # the profit is revenue − costs, or revenue × the margin of the entity's kind when the
    # archive records no costs.
    entity_grade_caps: Mapping[str, Decimal] | None = field(default_factory=_default_entity_caps)
    entity_profit_multiple: Decimal | None = Decimal(3)
    entity_asset_multiple: Decimal | None = Decimal("0.5")
    entity_margins: Mapping[str, Decimal] | None = field(default_factory=_default_margins)

    def __post_init__(self) -> None:
        # Freeze the containers so a shared policy (DEFAULT_POLICY) cannot be changed in place.
        object.__setattr__(self, "grade_caps", FrozenMapping(self.grade_caps))
        object.__setattr__(self, "grade_spreads_bp", FrozenMapping(self.grade_spreads_bp))
        tiers = tuple((share, bp) for share, bp in self.deposit_discounts)
        object.__setattr__(self, "deposit_discounts", tiers)
        for name in ("entity_grade_caps", "entity_margins"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, FrozenMapping(getattr(self, name)))

    @property
    def ceiling_bp(self) -> int:
        return self.lpr_bp + self.ceiling_spread_bp

    @property
    def has_entity_rules(self) -> bool:
        """Whether this version lends to business entities rated on their own card."""
        return all(getattr(self, name) is not None for name in ENTITY_FIELDS)


class PolicyError(ValueError):
    """A policy that cannot be read or used. ``errors`` maps a field name (or ``"__all__"``) to
    Chinese messages, the shape a Django form's ``add_error`` takes."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items()}
        super().__init__("；".join(self.messages))

    @property
    def messages(self) -> list[str]:
        return [message for messages in self.errors.values() for message in messages]


FIELD_LABELS: dict[str, str] = {
    "version": "版本号",
    "effective_from": "生效日期",
    "grade_caps": "等级额度上限",
    "income_multiple": "年净收入倍数",
    "asset_multiple": "净资产倍数",
    "rounding_unit": "额度取整单位",
    "online_min": "线上贷款最低额度",
    "online_max": "线上贷款最高额度",
    "validity_months": "授信有效期",
    "lpr_bp": "一年期LPR",
    "grade_spreads_bp": "等级利率加点",
    "deposit_discounts": "存款贡献优惠档位",
    "payroll_bp": "代发工资优惠",
    "mobile_banking_bp": "手机银行活跃优惠",
    "clean_history_bp": "良好还款记录优惠",
    "contribution_cap_bp": "贡献优惠合计上限",
    "low_income_bp": "低收入户优惠",
    "floor_bp": "利率下限",
    "ceiling_spread_bp": "利率上限加点（在LPR基础上）",
    "entity_grade_caps": "经营主体等级额度上限",
    "entity_profit_multiple": "经营主体年净利润倍数",
    "entity_asset_multiple": "经营主体净资产倍数",
    "entity_margins": "经营主体利润率（未填报成本时）",
}
_MONEY = ("rounding_unit", "online_min", "online_max")
_MULTIPLES = ("income_multiple", "asset_multiple")
_DISCOUNTS_BP = (
    "payroll_bp",
    "mobile_banking_bp",
    "clean_history_bp",
    "contribution_cap_bp",
    "low_income_bp",
)

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
    for name, messages in _problems(values).items():
        errors.setdefault(name, []).extend(messages)
    if errors:
        raise PolicyError(errors)
    return CreditPolicy(**values)


def validate_policy(policy: CreditPolicy) -> dict[str, list[str]]:
    """Everything wrong with ``policy`` by field, in Chinese; empty means it may be approved."""
    return _problems({f.name: getattr(policy, f.name) for f in fields(policy)})


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

# --- checks -----------------------------------------------------------------------------------


def _problems(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """Checks on whatever fields were read; a check needing an unread field is skipped (that
    field already has its own message)."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    def has(*names: str) -> bool:
        return all(name in values for name in names)

    if has("version") and not values["version"].strip():
        add("version", "版本号不能为空")
    for name in _MULTIPLES:
        if has(name) and values[name] <= 0:
            add(name, f"{FIELD_LABELS[name]}必须大于0")
    if has("rounding_unit") and values["rounding_unit"] <= 0:
        add("rounding_unit", "额度取整单位必须大于0")
    if has("online_min") and values["online_min"] < 0:
        add("online_min", "线上贷款最低额度不能为负数")
    if has("online_max") and values["online_max"] <= 0:
        add("online_max", "线上贷款最高额度必须大于0")
    if has("online_min", "online_max") and values["online_min"] > values["online_max"]:
        add(
            "online_min",
            f"线上贷款最低额度（{yuan(values['online_min'])}）高于最高额度"
            f"（{yuan(values['online_max'])}）",
        )
    if has("validity_months") and values["validity_months"] < 1:
        add("validity_months", "授信有效期至少为1个月")
    if has("lpr_bp") and values["lpr_bp"] <= 0:
        add("lpr_bp", "一年期LPR必须大于0基点")
    for name in (*_DISCOUNTS_BP, "floor_bp", "ceiling_spread_bp"):
        if has(name) and values[name] < 0:
            add(name, f"{FIELD_LABELS[name]}不能为负数")
    if has("floor_bp", "lpr_bp", "ceiling_spread_bp"):
        floor, lpr, spread = values["floor_bp"], values["lpr_bp"], values["ceiling_spread_bp"]
        if floor > lpr + spread:
            add(
                "floor_bp",
                f"利率下限{rate_percent(floor)}高于利率上限{rate_percent(lpr + spread)}"
                f"（LPR {rate_percent(lpr)}加{percentage_points(spread)}）",
            )
    if has("grade_caps"):
        _cap_problems(values, add)
    if has("grade_spreads_bp"):
        _spread_problems(values, add)
    if has("deposit_discounts"):
        _tier_problems(values["deposit_discounts"], add)
    # an entity grade needs the household side's spread: checked once that side is consistent
    _entity_problems(
        values, add, check_spreads=not {"grade_caps", "grade_spreads_bp"} & set(errors)
    )
    if not errors and has(*(f.name for f in fields(CreditPolicy))):
        for message in _grade_order_problems(CreditPolicy(**values)):
            add("grade_spreads_bp", message)
    return errors


def _grade_order_problems(policy: CreditPolicy) -> list[str]:
    """A better grade never pays more for the same household, whatever its deposit and
    contributions (``pricing.grade_inversions``). Checked once everything else holds: it
    prices households under the policy."""
    from credit.engine.pricing import grade_inversions  # pricing builds on this module

    return [inversion.message() for inversion in grade_inversions(policy)]


def _known_grades(grades: Mapping[str, Any], name: str, add: Callable[[str, str], None]) -> None:
    allowed = "、".join(g for g in GRADES if g not in NO_CREDIT_GRADES)
    for grade in grades:
        if grade not in GRADES:
            add(name, f"{FIELD_LABELS[name]}中的等级“{grade}”不存在，等级只能是{allowed}")


def _better_first(grades: Mapping[str, V]) -> list[tuple[str, V]]:
    return [(g, grades[g]) for g in GRADES if g in grades]


def _cap_problems(values: Mapping[str, Any], add: Callable[[str, str], None]) -> None:
    caps: Mapping[str, Decimal] = values["grade_caps"]
    if not caps:
        add("grade_caps", "至少要为一个等级设置额度上限")
    _known_grades(caps, "grade_caps", add)
    for grade, cap in _better_first(caps):
        if grade in NO_CREDIT_GRADES:
            add("grade_caps", f"{grade}级为不授信等级，不能设置额度上限")
        elif cap <= 0:
            add("grade_caps", f"{grade}级额度上限必须大于0（不授信的等级请不要列出）")
        elif "online_max" in values and cap > values["online_max"]:
            add(
                "grade_caps",
                f"{grade}级额度上限（{yuan(cap)}）超过线上贷款最高额度"
                f"（{yuan(values['online_max'])}）",
            )
    credit_grades = [g for g in GRADES if g not in NO_CREDIT_GRADES]
    for better, worse in itertools.pairwise(credit_grades):
        if worse in caps and better not in caps:
            add(
                "grade_caps",
                f"{better}级没有额度上限（不授信），而更低的{worse}级有：评级越高，额度上限不能越低",
            )
    for (better, high), (worse, low) in itertools.pairwise(_better_first(caps)):
        if high < low:
            add(
                "grade_caps",
                f"{better}级额度上限（{yuan(high)}）低于{worse}级（{yuan(low)}）："
                "评级越高，额度上限不能越低",
            )


def _spread_problems(values: Mapping[str, Any], add: Callable[[str, str], None]) -> None:
    spreads: Mapping[str, int] = values["grade_spreads_bp"]
    _known_grades(spreads, "grade_spreads_bp", add)
    caps: Mapping[str, Decimal] | None = values.get("grade_caps")
    for grade, spread in _better_first(spreads):
        if spread < 0:
            add("grade_spreads_bp", f"{grade}级利率加点不能为负数")
        if caps is not None and grade not in caps:
            add("grade_spreads_bp", f"{grade}级没有额度上限（不授信），不应设置利率加点")
    for grade in caps or {}:
        if grade in GRADES and grade not in NO_CREDIT_GRADES and grade not in spreads:
            add("grade_spreads_bp", f"{grade}级设置了额度上限，但缺少利率加点")
    for (better, high), (worse, low) in itertools.pairwise(_better_first(spreads)):
        if high > low:
            add(
                "grade_spreads_bp",
                f"{better}级利率加点（{high}基点）高于{worse}级（{low}基点）："
                "评级越高，加点不能越多",
            )


def _entity_problems(
    values: Mapping[str, Any], add: Callable[[str, str], None], *, check_spreads: bool
) -> None:
    """The entity fields: all or none; caps like the households' (but not bound by the online
    maximum: entities borrow at the branch), each with a spread to price it; positive
    multiples; a margin in (0, 100%] for every kind of entity."""
    present = [name for name in ENTITY_FIELDS if values.get(name) is not None]
    if not present:
        return
    for name in ENTITY_FIELDS:
        if name not in present and name in values:
            add(name, f"缺少字段：{FIELD_LABELS[name]}（{name}）：经营主体的四项规则须同时设置")
    for name in ("entity_profit_multiple", "entity_asset_multiple"):
        if name in present and values[name] <= 0:
            add(name, f"{FIELD_LABELS[name]}必须大于0")
    if "entity_grade_caps" in present:
        caps: Mapping[str, Decimal] = values["entity_grade_caps"]
        name = "entity_grade_caps"
        if not caps:
            add(name, "至少要为一个等级设置经营主体额度上限")
        _known_grades(caps, name, add)
        spreads: Mapping[str, int] | None = (
            values.get("grade_spreads_bp") if check_spreads else None
        )
        for grade, cap in _better_first(caps):
            if grade in NO_CREDIT_GRADES:
                add(name, f"{grade}级为不授信等级，不能设置经营主体额度上限")
            elif cap <= 0:
                add(name, f"经营主体{grade}级额度上限必须大于0（不授信的等级请不要列出）")
            elif spreads is not None and grade not in spreads:
                add(name, f"经营主体{grade}级设置了额度上限，但等级利率加点中没有{grade}级")
        credit_grades = [g for g in GRADES if g not in NO_CREDIT_GRADES]
        for better, worse in itertools.pairwise(credit_grades):
            if worse in caps and better not in caps:
                add(
                    name,
                    f"经营主体{better}级没有额度上限，而更低的{worse}级有：评级越高，额度上限不能越低",
                )
        for (better, high), (worse, low) in itertools.pairwise(_better_first(caps)):
            if high < low:
                add(
                    name,
                    f"经营主体{better}级额度上限（{yuan(high)}）低于{worse}级（{yuan(low)}）："
                    "评级越高，额度上限不能越低",
                )
    if "entity_margins" in present:
        margins: Mapping[str, Decimal] = values["entity_margins"]
        name = "entity_margins"
        for kind in margins:
            if kind not in ENTITY_KINDS:
                allowed = "、".join(ENTITY_KINDS)
                add(name, f"经营主体利润率中的主体类型“{kind}”不存在，只能是{allowed}")
        for kind, label in ENTITY_KINDS.items():
            if kind not in margins:
                add(name, f"缺少{label}的利润率")
            elif not 0 < margins[kind] <= 1:
                add(
                    name,
                    f"{label}的利润率（{plain_number(margins[kind])}）必须大于0且不超过1"
                    "（即0%–100%）",
                )


def _tier_problems(tiers: DepositTiers, add: Callable[[str, str], None]) -> None:
    name = "deposit_discounts"
    for number, (share, bp) in enumerate(tiers, start=1):
        if not 0 < share <= 1:
            add(
                name,
                f"存款贡献优惠第{number}档的占比（{plain_number(share)}）必须大于0且不超过1"
                "（即0%–100%）",
            )
        if bp < 0:
            add(name, f"存款贡献优惠第{number}档的优惠基点不能为负数")
    for number, ((high, more), (low, less)) in enumerate(itertools.pairwise(tiers), start=2):
        if low >= high:
            add(
                name,
                f"存款贡献优惠档位须按占比从高到低排列：第{number}档（{share_percent(low)}）"
                f"不低于第{number - 1}档（{share_percent(high)}）",
            )
        elif less > more:
            add(
                name,
                f"存款贡献优惠第{number}档（占比{share_percent(low)}，{less}基点）优惠多于"
                f"第{number - 1}档（占比{share_percent(high)}，{more}基点）："
                "占比越高，优惠不能越少",
            )


# --- diff between versions ------------------------------------------------------------------


def policy_diff(old: CreditPolicy, new: CreditPolicy) -> list[tuple[str, str, str]]:
    """What changed from ``old`` to ``new``: (Chinese label, old value, new value), in field
    order; per grade for caps and spreads ("—" where a grade is not listed)."""
    rows: list[tuple[str, str, str]] = []
    for name, label in FIELD_LABELS.items():
        before, after = getattr(old, name), getattr(new, name)
        if name in ("grade_caps", "grade_spreads_bp", "entity_grade_caps", "entity_margins"):
            before, after = before or {}, after or {}  # an entity map may be absent (None)
            keys: Iterable[str] = ENTITY_KINDS if name == "entity_margins" else GRADES
            listed = [g for g in keys if g in before or g in after]
            listed += sorted((set(before) | set(after)) - set(keys))
            for grade in listed:
                was, now = before.get(grade), after.get(grade)
                if was != now:
                    key = ENTITY_KINDS.get(grade, grade)
                    rows.append((f"{label}（{key}）", _shown(name, was), _shown(name, now)))
        elif before != after:
            rows.append((label, _shown(name, before), _shown(name, after)))
    return rows


def _shown(name: str, value: Any) -> str:
    if value is None:
        return "—"
    if name in ("grade_caps", "entity_grade_caps", *_MONEY):
        return yuan(value)
    if name in (*_MULTIPLES, "entity_profit_multiple", "entity_asset_multiple"):
        return f"{plain_number(value)}倍"
    if name == "entity_margins":
        return share_percent(value)
    if name == "validity_months":
        return f"{value}个月"
    if name == "effective_from":
        return str(value.isoformat())
    if name in ("lpr_bp", "floor_bp"):
        return f"{value}基点（{rate_percent(value)}）"
    if name == "deposit_discounts":
        tiers = [f"占比≥{share_percent(share)}优惠{bp}基点" for share, bp in value]
        return "；".join(tiers) or "无"
    if name.endswith("_bp"):
        return f"{value}基点"
    return str(value)


# --- the seeded policy ------------------------------------------------------------------------

# DESIGN §4.6 as data, the form the database and the policy page store, with the entity rules
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
# Read without the checks: they price households with ``pricing``, which builds on this module
# (the tests hold that ``policy_from_json`` accepts it and gives the same policy).
DEFAULT_POLICY: CreditPolicy = CreditPolicy(
    **{
        name: _READERS[name](DEFAULT_POLICY_JSON[name], label)
        for name, label in FIELD_LABELS.items()
    }
)


def policy_in_force(policies: Iterable[CreditPolicy], as_of: date) -> CreditPolicy | None:
    """The policy with the latest ``effective_from`` on or before ``as_of`` (None if none)."""
    started = [p for p in policies if p.effective_from <= as_of]
    return max(started, key=lambda p: p.effective_from, default=None)
