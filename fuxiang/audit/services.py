"""Writing audit events. Every reveal, archive change, export and login passes through here."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.clientaddress import client_address


def _client(request: HttpRequest | None) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    # The same address the login lockout counts (behind the proxies: the client's, not theirs).
    return client_address(request), (request.META.get("HTTP_USER_AGENT") or "")[:300]


def audit_record(
    *,
    action: AuditAction | str,
    actor: Any = None,
    target: models.Model | None = None,
    target_label: str = "",
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one audit event. ``target_label`` must already be masked: the log is read by
    auditors who have no right to see unmasked personal data. ``actor_label`` names an actor
    that is no user (``manage.py``)."""
    address, agent = _client(request)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    event = AuditEvent(
        actor=actor,
        actor_label=str(getattr(actor, "username", "")) if actor else actor_label,
        action=str(action),
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=target_label[:200],
        ip_address=address,
        user_agent=agent,
        details=details or {},
    )
    event.save(force_insert=True)
    return event
