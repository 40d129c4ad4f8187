"""Every write to scorecards: drafting, importing, editing, and the maker-checker approval.

Head office drafts and approves (``roles.can_approve_policy``); nobody who drafted, edited or
submitted a card may approve it or send it back (``fuxiang.makerchecker``; the edits are read
from the audit trail, which records each one with its author). A draft may hold an unusable
card (overlapping bins while it is being edited); it is validated in full
(``engine.validate_scorecard``) when submitted and again when approved. Approving a card puts
it in force and retires the kind's previous card. Approved and retired cards never change.
Each service raises ``DomainError`` with Chinese messages and appends an audit event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fuxiang.accounts import roles
from fuxiang.accounts.models import User
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, PermissionDenied
from fuxiang.jsondata import json_object
from fuxiang.makerchecker import checker_require
from rating import engine
from rating.models import Scorecard, ScorecardStatus, SubjectKind
from rating.selectors import scorecard_touched_by

EDITABLE_STATUSES = (ScorecardStatus.DRAFT, ScorecardStatus.REJECTED)


@transaction.atomic
def scorecard_draft_create(
    *,
    actor: User | None,
    version: str,
    from_card: Scorecard | None = None,
    definition: Mapping[str, Any] | None = None,
    note: str = "",
) -> Scorecard:
    """Start a new draft ``version``, copied from an existing card (any status) or from a
    definition in the engine's JSON form. The draft takes the new version label; its subject
    kind is the source card's (or the definition's)."""
    _require_policy_role(actor)
    if (from_card is None) == (definition is None):
        raise DomainError("请选择复制的评分卡或提供评分卡定义（二者选一）")
    card = _parse(
        from_card.definition if from_card is not None else definition or {}, validate=False
    )
    scorecard = _create(actor=actor, card=card, version=version, note=note)
    details = {"version": version, "kind": card.kind}
    if from_card is not None:
        details["from"] = f"{from_card.kind} {from_card.version}"
    audit_record(
        action=AuditAction.SCORECARD_CREATE,
        actor=actor,
        target=scorecard,
        target_label=str(scorecard),
        details=details,
    )
    return scorecard


@transaction.atomic
def scorecard_import_json(
    *,
    actor: User | None,
    data: str | bytes | Mapping[str, Any],
    version: str | None = None,
    note: str = "",
) -> Scorecard:
    """Import an exported card (``engine.card_to_json``) as a new draft. The card must be
    valid in full; ``version`` overrides the label in the file."""
    _require_policy_role(actor)
    card = _parse(json_object(data, field="definition", what="评分卡"), validate=True)
    scorecard = _create(actor=actor, card=card, version=version or card.version, note=note)
    audit_record(
        action=AuditAction.SCORECARD_CREATE,
        actor=actor,
        target=scorecard,
        target_label=str(scorecard),
        details={"version": scorecard.version, "kind": card.kind, "source": "json"},
    )
    return scorecard


@transaction.atomic
def scorecard_update_draft(
    *,
    actor: User | None,
    scorecard: Scorecard,
    definition: Mapping[str, Any] | None = None,
    note: str | None = None,
) -> Scorecard:
    """Change a draft's definition or note. A rejected card edited this way becomes a draft
    again. Approved, retired and submitted cards cannot be edited: draft a new version."""
    _require_policy_role(actor)
    scorecard = _locked(scorecard)
    if scorecard.status not in EDITABLE_STATUSES:
        raise DomainError(
            f"评分卡{scorecard.version}当前状态为“{scorecard.get_status_display()}”，不能修改；"
            "如需调整请起草新版本",
            code="frozen",
        )
    fields = ["status", "updated_at"]
    if definition is not None:
        card = _parse(definition, validate=False)
        if card.kind != scorecard.kind:
            raise DomainError({"definition": "评分卡定义的评级对象与该评分卡不一致"})
        scorecard.definition = _stored(card, scorecard.version)
        fields.append("definition")
    if note is not None:
        scorecard.note = note
        fields.append("note")
    scorecard.status = ScorecardStatus.DRAFT
    _save(scorecard, fields)
    audit_record(
        action=AuditAction.SCORECARD_UPDATE,
        actor=actor,
        target=scorecard,
        target_label=str(scorecard),
        details={"fields": [f for f in fields if f in ("definition", "note")]},
    )
    return scorecard


@transaction.atomic
def scorecard_submit(*, actor: User | None, scorecard: Scorecard) -> Scorecard:
    """Send a draft for approval; refused with every validation message if the card is
    unusable."""
    _require_policy_role(actor)
    scorecard = _locked(scorecard)
    if scorecard.status not in EDITABLE_STATUSES:
        raise DomainError(f"只有草稿可以提交审批，该评分卡为“{scorecard.get_status_display()}”")
    _parse(scorecard.definition, validate=True)
    scorecard.status = ScorecardStatus.SUBMITTED
    scorecard.submitted_by = actor
    scorecard.submitted_at = timezone.now()
    _save(scorecard, ["status", "submitted_by", "submitted_at", "updated_at"])
    audit_record(
        action=AuditAction.SCORECARD_SUBMIT,
        actor=actor,
        target=scorecard,
        target_label=str(scorecard),
        details={"version": scorecard.version, "kind": scorecard.kind},
    )
    return scorecard


@transaction.atomic
def scorecard_approve(*, actor: User | None, scorecard: Scorecard) -> Scorecard:
    """Approve a submitted card (a second head-office user who neither drafted, edited nor
    submitted it) and put it in force: the kind's previously approved card is retired in the
    same transaction."""
    _require_policy_role(actor, "只有总行可以审批评分卡")
    scorecard = _locked(scorecard)
    if scorecard.status != ScorecardStatus.SUBMITTED:
        raise DomainError(
            f"只有待审批的评分卡可以批准，该评分卡为“{scorecard.get_status_display()}”"
        )
    _require_checker(actor, scorecard)
    _parse(scorecard.definition, validate=True)
    now = timezone.now()
    previous = (
        Scorecard.objects.select_for_update()
        .filter(kind=scorecard.kind, status=ScorecardStatus.APPROVED)
        .first()
    )
    if previous is not None:
        previous.status = ScorecardStatus.RETIRED
        previous.retired_at = now
        _save(previous, ["status", "retired_at", "updated_at"])
    scorecard.status = ScorecardStatus.APPROVED
    scorecard.approved_by = actor
    scorecard.approved_at = now
    _save(scorecard, ["status", "approved_by", "approved_at", "updated_at"])
    audit_record(
        action=AuditAction.SCORECARD_APPROVE,
        actor=actor,
        target=scorecard,
        target_label=str(scorecard),
        details={
            "version": scorecard.version,
            "kind": scorecard.kind,
            "retired": previous.version if previous is not None else None,
        },
    )
    return scorecard


@transaction.atomic
def scorecard_reject(*, actor: User | None, scorecard: Scorecard, reason: str) -> Scorecard:
    """Send a submitted card back to its drafter with a reason (a reviewer as for approval)."""
    _require_policy_role(actor, "只有总行可以审批评分卡")
    reason = reason.strip()
    if not reason:
        raise DomainError({"rejection_reason": "退回评分卡必须填写原因"})
    scorecard = _locked(scorecard)
    if scorecard.status != ScorecardStatus.SUBMITTED:
        raise DomainError(
            f"只有待审批的评分卡可以退回，该评分卡为“{scorecard.get_status_display()}”"
        )
    _require_checker(actor, scorecard)
    scorecard.status = ScorecardStatus.REJECTED
    scorecard.rejected_by = actor
    scorecard.rejected_at = timezone.now()
    scorecard.rejection_reason = reason
    _save(scorecard, ["status", "rejected_by", "rejected_at", "rejection_reason", "updated_at"])
    audit_record(
        action=AuditAction.SCORECARD_REJECT,
        actor=actor,
        target=scorecard,
        target_label=str(scorecard),
        details={"version": scorecard.version, "kind": scorecard.kind, "reason": reason},
    )
    return scorecard


# --- helpers ----------------------------------------------------------------------------------


def _require_policy_role(actor: User | None, message: str = "只有总行可以维护评分卡") -> None:
    if not roles.can_approve_policy(actor):
        raise PermissionDenied(message)


def _require_checker(actor: User | None, scorecard: Scorecard) -> None:
    checker_require(
        checker_id=getattr(actor, "pk", None),
        touched=scorecard_touched_by(scorecard),
        what="评分卡",
    )


def _parse(data: Mapping[str, Any], *, validate: bool) -> engine.Scorecard:
    try:
        return engine.card_from_json(data, validate=validate)
    except engine.ScorecardError as exc:
        raise DomainError({"definition": exc.messages}) from exc


def _stored(card: engine.Scorecard, version: str) -> dict[str, Any]:
    """The definition as stored: the row's version label is the card's version label."""
    return {**engine.card_to_json(card), "version": version}


def _create(*, actor: User | None, card: engine.Scorecard, version: str, note: str) -> Scorecard:
    version = version.strip()
    if card.kind not in SubjectKind.values:
        raise DomainError({"kind": f"评级对象“{card.kind}”无效"})
    scorecard = Scorecard(
        kind=card.kind,
        version=version,
        status=ScorecardStatus.DRAFT,
        definition=_stored(card, version),
        note=note,
        created_by=actor,
    )
    try:
        scorecard.full_clean()
    except ValidationError as exc:
        raise DomainError(exc.message_dict) from exc
    scorecard.save(force_insert=True)
    return scorecard


def _locked(scorecard: Scorecard) -> Scorecard:
    return Scorecard.objects.select_for_update().get(pk=scorecard.pk)


def _save(scorecard: Scorecard, fields: list[str]) -> None:
    try:
        scorecard.full_clean()
    except ValidationError as exc:
        raise DomainError(exc.message_dict) from exc
    scorecard.save(update_fields=fields)
