"""What the villager's result page may say about a household (docs/design.md §4.4).

A household with a line in force sees its grade, limit, rate and validity and the plain words
of its rating; every other case — not rated, knocked out, no credit at its grade, a line
suspended, revoked or expired — sees one neutral sentence and never the reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# what the page shows
SHOW_LINE = "line"
NOT_RATED = "not_rated"
CONTACT_OFFICER = "contact"

CONTACT_SENTENCE = "请联系您的客户经理"


@dataclass(frozen=True)
class LineFacts:
    """The facts of a household's current line the page needs (none: no line)."""

    grade: str
    amount: Decimal
    rate_percent: str
    valid_to: date
    status: str  # credit.LineStatus value
    online_eligible: bool

    @property
    def amount_text(self) -> str:
        """Whole yuan with thousands separators: ``175,000``."""
        return f"{self.amount:,.0f}"


@dataclass(frozen=True)
class Outcome:
    show: str
    line: LineFacts | None = None
    raised: tuple[str, ...] = ()
    lowered: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    words: tuple[str, ...] = field(default=())


def outcome_for(
    *,
    rated: bool,
    knocked_out: bool,
    line: LineFacts | None,
    as_of: date,
    raised: tuple[str, ...] = (),
    lowered: tuple[str, ...] = (),
    hints: tuple[str, ...] = (),
    words: tuple[str, ...] = (),
) -> Outcome:
    """Decide what to show. The explanation is given only with a line in force, so that its
    presence or absence never tells a knock-out from a low score."""
    if not rated:
        return Outcome(show=NOT_RATED)
    if knocked_out or line is None or line.status != "active" or line.valid_to < as_of:
        return Outcome(show=CONTACT_OFFICER)
    return Outcome(
        show=SHOW_LINE, line=line, raised=raised, lowered=lowered, hints=hints, words=words
    )
