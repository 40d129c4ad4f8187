"""Reads of the audit trail that other rules rely on."""

from __future__ import annotations

from typing import Any

from django.db import models

from fuxiang.audit.models import AuditAction, AuditEvent


def audit_actors(
    *, target: models.Model, action: AuditAction | str, **details: Any
) -> set[int | None]:
    """The users who did ``action`` to ``target`` (events whose details hold ``details``, when
    given), by the append-only trail: an edit leaves no column of its own, so the
    maker-checker rule reads here who edited a draft."""
    events = AuditEvent.objects.filter(
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        action=str(action),
        actor__isnull=False,
        **{f"details__{key}": value for key, value in details.items()},
    )
    return set(events.values_list("actor_id", flat=True))
