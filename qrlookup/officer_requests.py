"""Villagers' requests to officers (补办建档, 评级, 重新评级, 信息有误) and how they close.

A request lands in the inbox of the officers of its grid with a deadline
(``QRLOOKUP_REQUEST_DAYS``, 7 by default). It closes:

- by the officer, with an outcome (a ``RequestOutcome``); the villager sees the outcome's label,
  never the officer's internal note;
- by itself when the household's archive is edited (corrections: ``archives_changed``) or a
  rating of the household made after the request is published (rating and re-rating requests:
  rating's publish step) — connected in ``QrlookupConfig.ready()``.

Requests still open after their deadline are flagged nightly for the branch manager."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fuxiang import crypto
from fuxiang.accounts import roles
from fuxiang.accounts.models import User
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, NotFound, PermissionDenied
from fuxiang.masking import mask_phone
from households.identity import IdentityError, validate_mobile
from households.locks import household_held
from households.models import Household
from qrlookup.lookup_selectors import pages_changed_now_and_on_commit
from qrlookup.models import (
    OfficerRequest,
    RequestKind,
    RequestOutcome,
    RequestStatus,
)
from qrlookup.officer_request_selectors import requests_visible_to
from qrlookup.qrcode_selectors import Attribution
from rating.models import CurrentRating

CONTACT_PHONE_COLUMN = "officer_request.contact_phone"
ACTION_CLOSE = AuditAction.QR_REQUEST_CLOSE
OPEN_ALREADY = "您已提交过同类申请，客户经理正在办理"
# archive changes that answer a correction request (a watch-list match does not)
REQUEST_LOCK = 0x46585251  # "FXRQ": with a household's id, the advisory lock of its requests
EDIT_REASONS = {"household_update", "member_create", "member_update", "import"}


def _due(now: datetime) -> datetime:
    return now + timedelta(days=settings.QRLOOKUP_REQUEST_DAYS)


@transaction.atomic
def request_create_for_household(
    *, household_id: int, kind: str, note: str = "", attribution: Attribution | None = None
) -> OfficerRequest:
    """A verified villager asks about their own household. One open request per kind."""
    if kind not in (RequestKind.RATING, RequestKind.RERATING, RequestKind.CORRECTION):
        raise DomainError({"kind": "申请类型无效"})
    # requests for the household queue up here; not FOR UPDATE (households.locks): an edit's
    # save meanwhile does not wait for it
    household_held(household_id, queue=REQUEST_LOCK)
    household = Household.objects.select_related("village").get(pk=household_id)
    if household.village.grid_id is None:
        raise DomainError("您所在的村尚未安排客户经理，请到附近网点办理")
    if OfficerRequest.objects.filter(
        household=household, kind=kind, status=RequestStatus.OPEN
    ).exists():
        raise DomainError(OPEN_ALREADY, code="duplicate")
    now = timezone.now()
    request = OfficerRequest(
        kind=kind,
        household=household,
        grid_id=household.village.grid_id,
        village_id=household.village_id,
        code_id=attribution.code_id if attribution else None,
        note=(note or "").strip()[:200],
        created_at=now,
        due_at=_due(now),
    )
    request.full_clean(exclude=["household", "grid", "village", "code"])
    request.save(force_insert=True)
    pages_changed_now_and_on_commit()  # the page lists the household's requests
    return request


@transaction.atomic
def request_create_archive(
    *, name: str, phone: str, attribution: Attribution, note: str = ""
) -> OfficerRequest:
    """Someone not verified (not archived, no phone on file, details not matching) asks the
    officer of the code's grid to contact them. Accepted alike for anyone: it says nothing about
    the archive. The number typed is for the officer to call back, never for a code."""
    try:
        phone = validate_mobile(phone)
    except IdentityError as exc:
        raise DomainError({"phone": f"联系电话{exc}"}) from exc
    now = timezone.now()
    request = OfficerRequest(
        kind=RequestKind.ARCHIVE,
        grid_id=attribution.grid_id,
        village_id=attribution.village_id,
        code_id=attribution.code_id,
        contact_name=name,
        contact_phone_encrypted=crypto.encrypt(phone, column=CONTACT_PHONE_COLUMN),
        contact_phone_masked=mask_phone(phone),
        note=(note or "").strip()[:200],
        created_at=now,
        due_at=_due(now),
    )
    request.full_clean(exclude=["grid", "village", "code"])
    request.save(force_insert=True)
    return request


def request_contact_phone(
    *, actor: User | None, request: OfficerRequest, audit: AuditContext | None = None
) -> str:
    """The number an archive request left, for the officer to call back (audited reveal)."""

    if not roles.can_reveal_personal_data(actor):
        raise PermissionDenied("您的角色无权查看完整联系电话")
    if not requests_visible_to(actor).filter(pk=request.pk).exists():
        raise NotFound()
    if not request.contact_phone_encrypted:
        return ""
    audit_record(
        action="pii.reveal",
        actor=actor,
        target=request,
        target_label=f"{request.get_kind_display()} {request.contact_phone_masked}",
        audit=audit,
        details={"fields": ["contact_phone"]},
    )
    return crypto.decrypt(request.contact_phone_encrypted, column=CONTACT_PHONE_COLUMN)


@transaction.atomic
def request_close(
    *,
    actor: User | None,
    request: OfficerRequest,
    outcome: str,
    outcome_note: str = "",
    audit: AuditContext | None = None,
) -> OfficerRequest:
    """The officer (or the grid's manager, or head office) closes a request with an outcome."""

    if not (roles.can_edit_archives(actor) or roles.can_approve_override(actor)):
        raise PermissionDenied("您的角色无权办理村民申请")
    if not requests_visible_to(actor).filter(pk=request.pk).exists():
        raise NotFound()
    request = OfficerRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.OPEN:
        raise DomainError("该申请已办结")
    if outcome not in RequestOutcome.values:
        raise DomainError({"outcome": "请选择处理结果"})
    request.status = RequestStatus.DONE
    request.outcome = outcome
    request.outcome_note = (outcome_note or "").strip()[:200]
    request.closed_at = timezone.now()
    request.closed_by = actor
    request.full_clean(exclude=["household", "grid", "village", "code"])
    request.save(update_fields=["status", "outcome", "outcome_note", "closed_at", "closed_by"])
    pages_changed_now_and_on_commit()
    audit_record(
        action=ACTION_CLOSE,
        actor=actor,
        target=request,
        target_label=str(request),
        audit=audit,
        details={"outcome": outcome, "kind": request.kind},
    )
    return request


@transaction.atomic
def requests_close_for_archive_change(*, household_ids: Sequence[int], reason: str) -> int:
    """Corrections of these households are answered: their archive was edited."""
    if not set(reason.split(",")) & EDIT_REASONS:
        return 0
    return OfficerRequest.objects.filter(
        household_id__in=list(household_ids),
        kind=RequestKind.CORRECTION,
        status=RequestStatus.OPEN,
    ).update(
        status=RequestStatus.DONE,
        outcome=RequestOutcome.ARCHIVE_UPDATED,
        closed_at=timezone.now(),
    )


def requests_close_for_publish(*, run_id: int, run_created_at: datetime) -> int:
    """Rating and re-rating requests made before this run are answered for the households it
    made current (inside the publishing transaction)."""

    rated = CurrentRating.objects.filter(run_id=run_id, household__isnull=False).values(
        "household_id"
    )
    return OfficerRequest.objects.filter(
        kind__in=(RequestKind.RATING, RequestKind.RERATING),
        status=RequestStatus.OPEN,
        created_at__lt=run_created_at,
        household_id__in=rated,
    ).update(status=RequestStatus.DONE, outcome=RequestOutcome.RERATED, closed_at=timezone.now())


@transaction.atomic
def requests_flag_overdue(*, now: datetime | None = None) -> int:
    """Nightly: mark open requests past their deadline for the branch manager (once each)."""
    now = now or timezone.now()
    return OfficerRequest.objects.filter(
        status=RequestStatus.OPEN, due_at__lt=now, overdue_flagged_at__isnull=True
    ).update(overdue_flagged_at=now)
