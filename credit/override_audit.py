"""The audit record of a manual override's every step: the subject (masked: 罗家坪村 罗**户), the
override before and after, the note."""

from __future__ import annotations

from typing import Any

from credit.models import (
    CreditLine,
    CreditOverride,
)
from credit.override_selectors import subject_label
from fuxiang.accounts.models import User
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record

# --- audit ------------------------------------------------------------------------------------


def snapshot(override: CreditOverride) -> dict[str, Any]:
    return {
        "status": override.status,
        "kind": override.kind,
        "grade": override.grade,
        "amount": str(override.amount) if override.amount is not None else None,
        "valid_until": override.valid_until.isoformat() if override.valid_until else None,
        **(
            {"approved_grade": override.approved_grade, "approved_cap": str(override.approved_cap)}
            if override.approved_grade
            else {}
        ),
        **({"review_reason": override.review_reason} if override.review_reason else {}),
    }


def line_snapshot(line: CreditLine | None) -> dict[str, Any] | None:
    if line is None:
        return None
    return {"id": line.pk, "grade": line.grade, "amount": str(line.amount)}


def override_audit(
    action: AuditAction,
    actor: User | None,
    override: CreditOverride,
    audit: AuditContext | None,
    *,
    before: dict[str, Any],
    after: dict[str, Any],
    note: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    subject_type = "household" if override.household_id is not None else "business_entity"
    subject_id = override.household_id or override.business_entity_id
    label = subject_label(override)
    details: dict[str, Any] = {
        "subject": {"type": subject_type, "id": subject_id, "label": label},
        "before": before,
        "after": after,
        **({"note": note} if note else {}),
        **(extra or {}),
    }
    audit_record(
        action=action,
        actor=actor,
        target=override,
        target_label=f"{label} 人工调整#{override.pk}",
        audit=audit,
        details=details,
    )
