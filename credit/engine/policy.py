"""Credit policy as data (授信与定价政策): caps, multiples, LPR, spreads, discounts, floor and
ceiling — versioned and effective-dated, read from and written to JSON, checked before use.

This module holds the policy itself (``CreditPolicy``, its fields and their labels) and picks
the one in force; ``policy_json`` reads and writes it (and holds the seeded policy),
``policy_checks`` says what is wrong with one, ``policy_diff`` what changed between two.

Business entities rated on their own card have a limit basis of their own (``entity_*``: caps
per grade, multiples of net operating profit and net assets, and the profit margin per kind of
entity for archives without costs). The four fields come together or not at all: a version
without them (drafted before they existed, such as the seeded 2026.1) grants entities nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypeVar

# Rating's grades, best first (docs/design.md §4.5). B never gets credit.
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
MONEY_FIELDS = ("rounding_unit", "online_min", "online_max")
MULTIPLE_FIELDS = ("income_multiple", "asset_multiple")
DISCOUNT_FIELDS = (
    "payroll_bp",
    "mobile_banking_bp",
    "clean_history_bp",
    "contribution_cap_bp",
    "low_income_bp",
)


def policy_in_force(policies: Iterable[CreditPolicy], as_of: date) -> CreditPolicy | None:
    """The policy with the latest ``effective_from`` on or before ``as_of`` (None if none)."""
    started = [p for p in policies if p.effective_from <= as_of]
    return max(started, key=lambda p: p.effective_from, default=None)
