"""The signing code (签约验证码): the borrower confirms a contract with six digits sent by SMS
to their own phone on file, in a text naming the contract's amount, term and rate
(``notices`` template ``loan_sign_code``). On the villager's phone they type it in; at the
branch they read it to the officer — an officer can never sign for a borrower without it.

A code belongs to one approved application and its applicant, lives
``LOANS_SIGNING_CODE_SECONDS`` (300), allows five tries and is used once (conditional UPDATEs,
so two requests cannot both use it); a new one at most every minute and five an hour per
application. Only a keyed hash is stored. ``contracts.contract_sign`` records the code's id,
so a code signs one contract at most."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from credit.engine import rate_percent
from fuxiang.accounts import roles
from fuxiang.errors import DomainError, NotFound, PermissionDenied
from loans.borrowers import Borrower, borrowing_person
from loans.engine.rules import yuan
from loans.models import LoanApplication, SigningCode
from loans.notices import notice_send

MAX_TRIES = 5
RESEND_SECONDS = 60
PER_HOUR = 5
CODE_FAILED = "签约验证码不正确或已失效，请核对短信或重新获取"


def refuse_unsignable(application: LoanApplication, now: datetime) -> None:
    """An application is signed (or a signing code sent for it) only while it is approved and
    within its signing period."""
    if application.status != "approved":
        raise DomainError(
            f"该申请状态为“{application.get_status_display()}”，不能签约", code="invalid_state"
        )
    if application.expires_at is not None and application.expires_at < now:
        raise DomainError("该申请已超过签约期限，请重新申请", code="expired")


def code_hash(code_id: str, code: str) -> str:
    key = hashlib.sha256(f"loans-signing-code:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, f"{code_id}:{code}".encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def signing_code_send(
    *,
    application: LoanApplication,
    channel: str,
    member_id: int | None = None,
    actor: Any = None,
) -> SigningCode:
    """Send a fresh signing code to the applicant's phone on file. ``member_id``: who the
    villager's session verified (must be the applicant); ``actor``: the officer at the branch
    (must serve the borrower)."""
    from loans.ledger_selectors import applications_visible_to

    if actor is not None:
        if not applications_visible_to(actor).filter(pk=application.pk).exists():
            raise NotFound()
        if not roles.can_serve_borrowers(actor):
            raise PermissionDenied("只有客户经理可以为客户发送签约验证码")
    application = (
        LoanApplication.objects.select_for_update().select_related("product").get(pk=application.pk)
    )
    now, today = timezone.now(), timezone.localdate()
    refuse_unsignable(application, now)
    borrower = Borrower.of(application)
    if borrower.household_id is None:
        raise DomainError("经营主体的合同由客户经理当面办理签约", code="not_household")
    wanted = member_id if member_id is not None else application.applicant_member_id
    if application.applicant_member_id is not None and wanted != application.applicant_member_id:
        raise DomainError("须由申请人本人签约：请申请人本人验证身份后签约", code="not_applicant")
    person = borrowing_person(borrower, member_id=wanted, channel=channel, today=today)
    if person is None or not person.phone_encrypted:
        raise DomainError(
            "借款人未登记手机号码，无法发送签约验证码，请联系客户经理更新档案", code="no_phone"
        )
    sent = SigningCode.objects.filter(
        application=application, created_at__gte=now - timedelta(hours=1)
    )
    if sent.filter(created_at__gt=now - timedelta(seconds=RESEND_SECONDS)).exists():
        raise DomainError("签约验证码已发送，请1分钟后再重新获取", code="rate_limited")
    if sent.count() >= PER_HOUR:
        raise DomainError("获取签约验证码次数过多，请1小时后再试", code="rate_limited")
    code_id, code = secrets.token_hex(16), f"{secrets.randbelow(10**6):06d}"
    seconds = settings.LOANS_SIGNING_CODE_SECONDS
    row = SigningCode.objects.create(
        id=code_id,
        application=application,
        member=person,
        channel=channel,
        code_hash=code_hash(code_id, code),
        created_at=now,
        expires_at=now + timedelta(seconds=seconds),
    )
    notice_send(
        member_id=person.pk,
        template="loan_sign_code",
        params={
            "product": application.product.name,
            "amount": yuan(application.amount),
            "term": application.term_months,
            "rate": rate_percent(application.rate_bp or 0),
            "code": code,
            "minutes": max(1, seconds // 60),
        },
    )
    return row


def signing_code_confirm(*, application: LoanApplication, code_id: str, code: str) -> SigningCode:
    """Use the code (once): the signing code row, or ``DomainError`` (``code_failed``) — wrong,
    expired, used, another application's and out-of-tries codes alike. Each try is counted in
    its own statement, whatever the caller's transaction does next."""
    now = timezone.now()
    mine = SigningCode.objects.filter(pk=code_id, application_id=application.pk)
    counted = mine.filter(used_at__isnull=True, expires_at__gt=now, attempts__lt=MAX_TRIES).update(
        attempts=F("attempts") + 1
    )
    row = mine.first()
    right = (
        bool(counted)
        and row is not None
        and hmac.compare_digest(row.code_hash, code_hash(code_id, str(code)))
    )
    if row is None or not right or mine.filter(used_at__isnull=True).update(used_at=now) != 1:
        raise DomainError({"code": CODE_FAILED}, code="code_failed")
    row.used_at = now
    return row
