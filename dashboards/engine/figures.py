"""The figures of one scope (a village, a grid, a branch, a township, the county) and the
stages of the coverage funnel (一户不漏). Definitions are in docs/dashboards.md; this module
only adds figures up and divides them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ZERO = Decimal("0.00")

COUNT_FIELDS = (
    "registered",
    "archived",
    "visited",
    "rated",
    "granted",
    "online_eligible",
    "looked_up",
    "scans",
    "verified",
    "requests_pending",
    "requests_overdue",
    "applied",
    "signed",
    "drawn",
    "stalled_unrated",
    "granted_not_looked_up",
    "signed_not_drawn",
)
AMOUNT_FIELDS = (
    "granted_amount",
    "signed_amount",
    "drawn_amount",
    "balance",
    "online_balance",
)


@dataclass(frozen=True)
class Figures:
    """Counts of households (户), of events (人次, 件) and amounts in yuan. Adding two scopes'
    figures gives the figures of both (every figure is a sum; shares are computed after)."""

    registered: int = 0  # 户籍户数
    archived: int = 0  # 已建档
    visited: int = 0  # 已走访
    rated: int = 0  # 已评级
    granted: int = 0  # 已授信
    granted_amount: Decimal = ZERO
    online_eligible: int = 0  # 可线上办理
    looked_up: int = 0  # 已查询（户）
    scans: int = 0  # 扫码查询（人次）
    verified: int = 0  # 验证查询（人次）
    requests_pending: int = 0  # 待办申请
    requests_overdue: int = 0  # 逾期申请
    applied: int = 0  # 已申请（户）
    signed: int = 0  # 已签约（户）
    signed_amount: Decimal = ZERO
    drawn: int = 0  # 已用信（户）
    drawn_amount: Decimal = ZERO
    balance: Decimal = ZERO  # 贷款余额
    online_balance: Decimal = ZERO  # 其中线上贷款余额
    stalled_unrated: int = 0  # 建档超过N天未评级
    granted_not_looked_up: int = 0  # 已授信从未查询
    signed_not_drawn: int = 0  # 已签约从未用信

    def __add__(self, other: Figures) -> Figures:
        if not isinstance(other, Figures):
            return NotImplemented
        return Figures.total((self, other))

    @classmethod
    def total(cls, many: Iterable[Figures]) -> Figures:
        """The sum of many, field by field (one pass per field: a county page adds up a few
        thousand figures)."""
        rows = list(many)
        if not rows:
            return cls()
        return cls(*[sum(getattr(row, name) for row in rows) for name in FIELD_NAMES])

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> Figures:
        """From a database row (missing or NULL figures are 0)."""
        values: dict[str, Any] = {}
        for name in COUNT_FIELDS:
            values[name] = int(row.get(name) or 0)
        for name in AMOUNT_FIELDS:
            values[name] = Decimal(row.get(name) or 0).quantize(ZERO)
        return cls(**values)

    @property
    def not_archived(self) -> int:
        """户籍户数 − 已建档: households with no archive yet (never negative: a village whose
        registered count is out of date may have more archives than registered households)."""
        return max(self.registered - self.archived, 0)

    @property
    def online_share(self) -> Decimal | None:
        """Online loans' share of the loan book (the balance), None without a balance."""
        return percent(self.online_balance, self.balance)

    def share(self, name: str) -> Decimal | None:
        """A count as a percentage of the registered households (None for an empty scope)."""
        return percent(getattr(self, name), self.registered)

    def is_empty(self) -> bool:
        return self == Figures()


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Figures))


def percent(part: int | Decimal, whole: int | Decimal, places: int = 1) -> Decimal | None:
    """``part`` as a percentage of ``whole`` to ``places`` decimal places (half up), None
    when the whole is zero — "—" on the page, never a division error."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(
        Decimal(1).scaleb(-places), ROUND_HALF_UP
    )


@dataclass(frozen=True)
class Stage:
    """A figure as the pages name it."""

    key: str
    label: str
    unit: str  # 户, 人次, 件, 元
    note: str = ""

    @property
    def is_amount(self) -> bool:
        return self.unit == "元"


STAGES: tuple[Stage, ...] = (
    Stage("registered", "户籍户数", "户", "村委会登记的户数，覆盖率的分母"),
    Stage("archived", "已建档", "户", "有档案且未销户的农户"),
    Stage("visited", "已走访", "户", "已建档农户中有走访记录的"),
    Stage("rated", "已评级", "户", "有当前评级的农户（含一票否决、B级）"),
    Stage("granted", "已授信", "户", "当前授信额度有效或冻结中的农户"),
    Stage("granted_amount", "授信金额", "元"),
    Stage("online_eligible", "可线上办理", "户", "额度在线上产品范围内且有效"),
    Stage("looked_up", "已查询", "户", "本人扫码验证并看到本户结果的农户"),
    Stage("scans", "扫码查询", "人次", "打开查询页的次数"),
    Stage("verified", "验证查询", "人次", "通过身份验证的次数"),
    Stage("requests_pending", "待办申请", "件"),
    Stage("requests_overdue", "逾期申请", "件"),
    Stage("applied", "已申请贷款", "户"),
    Stage("signed", "已签约", "户"),
    Stage("signed_amount", "签约金额", "元"),
    Stage("drawn", "已用信", "户"),
    Stage("drawn_amount", "用信金额", "元"),
    Stage("balance", "贷款余额", "元"),
    Stage("online_balance", "线上贷款余额", "元"),
    Stage("stalled_unrated", "建档未评级（超期）", "户"),
    Stage("granted_not_looked_up", "已授信未查询", "户"),
    Stage("signed_not_drawn", "已签约未用信", "户"),
)
_BY_KEY = {s.key: s for s in STAGES}

# The funnel: households at each step, in the order the programme reaches them.
FUNNEL: tuple[str, ...] = (
    "registered",
    "archived",
    "visited",
    "rated",
    "granted",
    "online_eligible",
    "looked_up",
    "applied",
    "signed",
    "drawn",
)


def stage(key: str) -> Stage:
    return _BY_KEY[key]
