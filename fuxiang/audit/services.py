"""Writing audit events. Every reveal, archive change, export and login passes through here."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from fuxiang.audit.context import AuditContext
from fuxiang.audit.models import AuditAction, AuditEvent


def audit_record(
    *,
    action: AuditAction | str,
    actor: Any = None,
    target: models.Model | None = None,
    target_label: str = "",
    audit: AuditContext | None = None,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one audit event. ``target_label`` must already be masked: the log is read by
    auditors who have no right to see unmasked personal data. ``audit`` says where the action
    came from (services pass the one their view built); ``request`` is for Django's own signals
    (login, logout), which hand receivers the request. ``actor_label`` names an actor that is
    no user (``manage.py``)."""
    if audit is None and request is not None:
        audit = AuditContext.from_request(request)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    event = AuditEvent(
        actor=actor,
        actor_label=str(getattr(actor, "username", "")) if actor else actor_label,
        action=str(action),
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=target_label[:200],
        ip_address=audit.ip if audit is not None else None,
        user_agent=audit.user_agent if audit is not None else "",
        details=details or {},
    )
    event.save(force_insert=True)
    return event
