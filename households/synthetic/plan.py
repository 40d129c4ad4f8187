"""What to build: the county plan, the summary of what was built, and shared constants."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from households import services
from households.models import County

TOWNSHIP_NAMES = (
    "网岭镇", "联星街道", "皇图岭镇", "江桥街道", "黄丰桥镇", "酒埠江镇", "桃水镇", "鸾山镇",
    "莲塘坳镇", "宁家坪镇", "新市镇", "菜花坪镇", "丫江桥镇", "渌田镇", "峦山镇", "石羊塘镇",
    "柏市镇", "坪阳庙乡",
)  # fmt: skip
VILLAGE_FEATURES = "家冲坪塘湾岭桥山田垅源"
INDUSTRIES = ("farming", "livestock", "business", "wages")
INDUSTRY_WEIGHTS = (40, 15, 15, 30)
WATCHLIST_SOURCE = "合成数据"
ENTRY_ID_COLUMN = services.WATCHLIST_ENTRY_ID_COLUMN
ProgressCallback = Callable[[int, int], None]
PARALLEL_FROM = 20_000  # households: below it, starting processes costs more than it saves


@dataclass(frozen=True)
class CountyPlan:
    households: int  # archived households to create; the registered count is larger
    seed: int = 2026
    county_name: str = "攸县"
    county_code: str = "430223"
    townships: int = 18
    villages: int = 250
    villages_per_grid: int = 2
    archived_share: float = 0.88
    entity_share: float = 0.036
    watchlist_share: float = 0.01  # of people
    as_of: date | None = None  # ages, list dates and consent times are relative to it
    # Processes generating villages (PostgreSQL only; the county is the same for any number):
    # None = one per core (at most 4) for a county of PARALLEL_FROM households or more, else 1.
    processes: int | None = None
    password: str = "fuxiang2026"  # noqa: S105  (demo and benchmark logins only)


def demo_plan(households: int = 400, seed: int = 2026, **overrides: Any) -> CountyPlan:
    """A small county (two townships, six villages) for the demo and tests."""
    return CountyPlan(
        households=households,
        seed=seed,
        townships=2,
        villages=6,
        villages_per_grid=2,
        **overrides,
    )


@dataclass
class CountySummary:
    county: County
    townships: int = 0
    villages: int = 0
    registered_households: int = 0
    households: int = 0
    members: int = 0
    entities: int = 0
    watchlist_entries: int = 0
    watchlist_matches: int | None = None  # people matched, once the lists are checked
    notes: list[str] = field(default_factory=list)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role, scope)
