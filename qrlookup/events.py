"""Recording scans and lookup steps: one INSERT each, no audit log (a county makes hundreds of
thousands; docs/qrlookup.md). Event rows carry only ids and the browser's kind.

The rows are built from values this app read itself (the code's attribution, the session's
household), so they skip ``full_clean()``, which would look up every foreign key."""

from __future__ import annotations

from django.utils import timezone

from qrlookup.models import LookupEvent, ScanEvent
from qrlookup.qrcode_selectors import Attribution


def scan_record(*, attribution: Attribution, ua_class: str) -> None:
    """One scan (人次) of a code."""
    ScanEvent.objects.create(
        at=timezone.now(),
        code_id=attribution.code_id,
        village_id=attribution.village_id,
        grid_id=attribution.grid_id,
        officer_id=attribution.officer_id,
        ua_class=ua_class,
    )


def lookup_record(
    *,
    kind: str,
    attribution: Attribution | None,
    ua_class: str,
    household_id: int | None = None,
) -> None:
    """One step of the flow, attributed to the code the person came through (if any)."""
    LookupEvent.objects.create(
        at=timezone.now(),
        kind=kind,
        code_id=attribution.code_id if attribution else None,
        village_id=attribution.village_id if attribution else None,
        grid_id=attribution.grid_id if attribution else None,
        officer_id=attribution.officer_id if attribution else None,
        household_id=household_id,
        ua_class=ua_class,
    )
