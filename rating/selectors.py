"""Reads of scorecards."""

from __future__ import annotations

from rating.models import Scorecard, ScorecardStatus


def scorecard_active(kind: str) -> Scorecard | None:
    """The card in force for a subject kind (the approved one), or None if there is none."""
    return (
        Scorecard.objects.select_related("approved_by")
        .filter(kind=kind, status=ScorecardStatus.APPROVED)
        .first()
    )
