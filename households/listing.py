"""What the household list shows and filters that other apps own: the current grade and the
credit line (DESIGN §2: households imports nothing to its right). Credit registers a
``Standings`` provider from its ``AppConfig.ready()``; without one the list simply has no grade
or limit columns and ignores those filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.db.models import QuerySet

from fuxiang.formatting import format_rmb

#: the grade filter's value for households with no current rating
UNRATED = "unrated"
#: the line filter's value for households with no current credit line
NO_LINE = "none"


@dataclass(frozen=True)
class Standing:
    """A household's current grade and credit line, as the list shows them."""

    grade: str = ""  # "" not rated
    knocked_out: bool = False
    line_id: int | None = None
    limit: Decimal | None = None
    line_status: str = ""  # "" no current line
    line_status_label: str = ""

    @property
    def limit_label(self) -> str:
        """¥136,000 (whole yuan: limits are rounded down to 1,000)."""
        return "" if self.limit is None else format_rmb(self.limit)


class Standings(Protocol):
    grade_choices: list[tuple[str, str]]
    line_choices: list[tuple[str, str]]
    #: the order (``order_by`` fields of the households) in which the county reads a grade's
    #: households from an index: the list's own, newest change first
    grade_order: tuple[str, ...]

    def standings(self, household_ids: list[int]) -> dict[int, Standing]: ...

    def filter(
        self, households: QuerySet[Any], *, line: str = "", grade: str = ""
    ) -> QuerySet[Any]:
        """The households whose current credit line has this status (``NO_LINE``: none), or
        whose current grade is this one (``UNRATED``: none)."""
        ...


_provider: Standings | None = None


def register(provider: Standings) -> None:
    global _provider
    _provider = provider


def provider() -> Standings | None:
    return _provider
