"""Reads of QR codes: the back office's lists (scoped) and the public page's attribution of a
token (cached: the landing page is the hottest page of the system)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from fuxiang.accounts.models import User
from households.selectors import grids_visible_to
from qrlookup.models import OfficerContact, QrCode

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{22}$")
ATTRIBUTION_SECONDS = 300


@dataclass(frozen=True)
class Attribution:
    """Who a scan of a code is counted for, and whom the page names as the officer."""

    code_id: int
    village_id: int | None
    grid_id: int
    officer_id: int | None
    village_name: str
    officer_name: str
    officer_phone: str


def attribution_key(token: str) -> str:
    return f"{settings.QRLOOKUP_CACHE_NAMESPACE}:code:{token}"


# The landing page of a code as served to a browser without a session, kept in each process
# for a few seconds: the hottest page then costs one RPUSH (its scan). A code revoked in
# another process may show its landing page here for up to LOCAL_SECONDS; nothing after it
# (the form, the code, the result) works, as those read the shared cache.
LOCAL_SECONDS = 10
_local: dict[str, tuple[float, Attribution, bytes]] = {}


def local_landing(token: str) -> tuple[Attribution, bytes] | None:
    entry = _local.get(token)
    if entry is None or entry[0] < time.monotonic():
        return None
    return entry[1], entry[2]


def local_landing_keep(token: str, attribution: Attribution, html: bytes) -> None:
    if len(_local) > 10_000:  # a county has a few hundred codes: only forged tokens grow it
        _local.clear()
    _local[token] = (time.monotonic() + LOCAL_SECONDS, attribution, html)


def local_landing_forget(token: str) -> None:
    _local.pop(token, None)


def landing_key(token: str) -> str:
    """The landing page as rendered for a browser without a session."""
    return f"{settings.QRLOOKUP_CACHE_NAMESPACE}:landing:{token}"


def code_attribution(token: str) -> Attribution | None:
    """The live code of ``token``, or None for a malformed, unknown or revoked token (all
    three look the same). Cached; revoking a code deletes its entry."""
    if not TOKEN_SHAPE.match(token or ""):
        return None
    key = attribution_key(token)
    cached = cache.get(key)
    if cached is not None:
        return cached or None  # "" caches a miss
    code = (
        QrCode.objects.select_related("village", "officer", "grid")
        .filter(token=token, revoked_at__isnull=True)
        .first()
    )
    found = _attribution(code) if code is not None else None
    cache.set(key, found or "", timeout=ATTRIBUTION_SECONDS)
    return found


def _attribution(code: QrCode) -> Attribution:
    officer = code.officer or code.grid.officers.filter(is_active=True).order_by("pk").first()
    return Attribution(
        code_id=code.pk,
        village_id=code.village_id,
        grid_id=code.grid_id,
        officer_id=officer.pk if officer else None,
        village_name=code.village.name if code.village else code.grid.name,
        officer_name=officer.display_name if officer else "",
        officer_phone=officer_phone(officer),
    )


def officer_phone(officer: Any) -> str:
    if officer is None:
        return ""
    contact = OfficerContact.objects.filter(officer=officer).first()
    return contact.phone if contact else ""


def grid_officer(grid_id: int | None) -> Any:
    """The officer villagers of a grid are sent to: its first active officer."""
    if grid_id is None:
        return None

    return User.objects.filter(grids__pk=grid_id, is_active=True).order_by("pk").first()


def qrcodes_visible_to(user: Any) -> QuerySet[QrCode]:
    """Codes of the grids the user sees (officers their grids, managers their branch, head
    office and auditors the county)."""
    return (
        QrCode.objects.filter(grid__in=grids_visible_to(user).values("pk"))
        .select_related("village__township", "grid", "officer")
        .order_by("grid__code", "kind", "village__code", "-created_at")
    )
