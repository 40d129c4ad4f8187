"""Writes of QR codes: make a village's or an officer's code, revoke one, set an officer's
service phone. Codes are made by the officers of the grid and by managers and head office
within their scope; every change is audited."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from fuxiang.accounts import roles
from fuxiang.accounts.models import Role, User
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, NotFound, PermissionDenied
from households.models import Grid, Village
from households.selectors import grids_visible_to, villages_visible_to
from qrlookup.engine.codes import new_token
from qrlookup.models import OfficerContact, QrCode, QrCodeKind
from qrlookup.qrcode_selectors import (
    attribution_key,
    grid_officer,
    landing_key,
    local_landing_forget,
)

ACTION_CREATE = AuditAction.QR_CODE_CREATE
ACTION_REVOKE = AuditAction.QR_CODE_REVOKE


def _may_manage_codes(user: Any) -> bool:
    return roles.can_edit_archives(user) or getattr(user, "role", None) == Role.BRANCH_MANAGER


@transaction.atomic
def qrcode_create(
    *,
    actor: User | None,
    kind: str,
    village: Village | None = None,
    grid: Grid | None = None,
    officer: Any = None,
    audit: AuditContext | None = None,
) -> QrCode:
    """A new live code for a village (its grid's first officer printed on it) or for an
    officer on one of their grids. At most one live code per village and per officer and grid:
    revoke the old one first."""
    if not _may_manage_codes(actor):
        raise PermissionDenied("您的角色无权生成二维码")
    if kind == QrCodeKind.VILLAGE:
        if village is None or not villages_visible_to(actor).filter(pk=village.pk).exists():
            raise NotFound()
        if village.grid_id is None:
            raise DomainError({"village": "该村尚未划入网格，不能生成二维码"})
        grid_id = village.grid_id
        officer = grid_officer(grid_id)
    elif kind == QrCodeKind.OFFICER:
        if grid is None or not grids_visible_to(actor).filter(pk=grid.pk).exists():
            raise NotFound()
        if officer is None or not grid.officers.filter(pk=officer.pk).exists():
            raise DomainError({"officer": "请选择该网格的客户经理"})
        grid_id, village = grid.pk, None
    else:
        raise DomainError({"kind": "二维码类型无效"})
    code = QrCode(
        token=new_token(),
        kind=kind,
        village=village,
        grid_id=grid_id,
        officer=officer,
        created_by=actor,
    )
    try:
        code.full_clean()
    except ValidationError as exc:  # one live code per village / officer and grid
        raise DomainError(exc.message_dict) from exc
    try:
        with transaction.atomic():
            code.save(force_insert=True)
    except IntegrityError as exc:  # a concurrent second code for the same village or officer
        raise DomainError("该对象已有有效的二维码，请先作废旧码") from exc
    audit_record(
        action=ACTION_CREATE,
        actor=actor,
        target=code,
        target_label=str(code),
        audit=audit,
        details={"kind": kind},
    )
    return code


@transaction.atomic
def qrcode_revoke(*, actor: User | None, code: QrCode, audit: AuditContext | None = None) -> QrCode:
    """Retire a code: its URL answers like a forged one from now on (the cached attribution
    is dropped when this commits)."""
    if not _may_manage_codes(actor):
        raise PermissionDenied("您的角色无权作废二维码")
    if not grids_visible_to(actor).filter(pk=code.grid_id).exists():
        raise NotFound()
    code = QrCode.objects.select_for_update().get(pk=code.pk)
    if code.revoked_at is not None:
        raise DomainError("该二维码已作废")
    code.revoked_at = timezone.now()
    code.revoked_by = actor
    code.save(update_fields=["revoked_at", "revoked_by"])
    token = code.token

    def forget() -> None:
        cache.delete_many([attribution_key(token), landing_key(token)])
        local_landing_forget(token)

    transaction.on_commit(forget)
    audit_record(
        action=ACTION_REVOKE, actor=actor, target=code, target_label=str(code), audit=audit
    )
    return code


@transaction.atomic
def officer_contact_set(*, actor: User | None, phone: str) -> OfficerContact:
    """An officer sets the service phone printed on their posters and result pages."""
    if getattr(actor, "role", None) != Role.OFFICER:
        raise PermissionDenied("只有客户经理可以设置服务电话")
    contact = OfficerContact.objects.filter(officer=actor).first() or OfficerContact(officer=actor)
    contact.phone = (phone or "").strip()
    try:
        contact.full_clean()
    except ValidationError as exc:
        raise DomainError(exc.message_dict) from exc
    contact.save()
    # landing pages show the new phone once their cached attribution expires (5 minutes)
    return contact
