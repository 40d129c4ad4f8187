"""Proving who is asking: name + resident ID → an SMS code to the phone on file → verified.

The same work and the same answer whatever the database holds (docs/qrlookup.md):

- ``verification_start`` counts the limits, computes the ID's blind index, runs one member
  query, writes one challenge row and one event, and queues one task — for a match, an
  unknown ID, a name that does not match and a person with no phone alike. The page that
  follows says the same thing in every case.
- The task (``challenge_sms_send``) decides, out of the request, whether a code goes out: only
  to a matched member with a phone on file, within the phone's limits. The number is decrypted
  there, just before sending, and nowhere else.
- ``verification_confirm`` checks a code against the challenge of the caller's session: wrong,
  expired, used and never-sent codes fail alike; five failures lock the ID number for an hour,
  whether or not it is on file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fuxiang import crypto
from fuxiang.errors import DomainError
from households.models import HouseholdStatus, Member
from households.services import PHONE_COLUMN, resident_id_index
from qrlookup import limits, sms
from qrlookup.engine.codes import code_hash, code_matches, new_code, new_token
from qrlookup.engine.inputs import names_match
from qrlookup.events import lookup_record
from qrlookup.models import LookupEventKind, SmsStatus, VerificationChallenge, WechatBinding
from qrlookup.qrcode_selectors import Attribution
from qrlookup.tasks import send_verification_sms as send_verification_sms_task

RATE_LIMITED = "操作过于频繁，请稍后再试"
LOCKED = "该身份证号码验证失败次数过多，已暂停查询，请稍后再试或联系您的客户经理"
CODE_FAILED = "验证码不正确或已失效，请核对短信或重新获取"


def _code_key() -> bytes:
    return hashlib.sha256(f"qrlookup-code:{settings.SECRET_KEY}".encode()).digest()


def openid_index(openid: str) -> str:
    return crypto.blind_index(openid, kind="wechat_openid")


@transaction.atomic
def verification_start(
    *,
    name: str,
    id_number: str,
    attribution: Attribution | None,
    client_ip: str,
    ua_class: str,
    openid_index: str = "",
) -> str:
    """Take a normalised name and ID number; return the id of a new challenge (for the
    caller's session). Refuses (``rate_limited``, ``locked``) only for reasons that hold the
    same for every ID number."""
    id_index = resident_id_index(id_number)
    allowed = limits.hit("ip", client_ip)
    allowed = limits.hit("id", id_index) and allowed
    if openid_index:
        allowed = limits.hit("openid", openid_index) and allowed
    if not allowed:
        lookup_record(kind=LookupEventKind.LIMITED, attribution=attribution, ua_class=ua_class)
        raise DomainError(RATE_LIMITED, code="rate_limited")
    if limits.locked(id_index):
        lookup_record(kind=LookupEventKind.LOCKED, attribution=attribution, ua_class=ua_class)
        raise DomainError(LOCKED, code="locked")
    member = (
        Member.objects.filter(id_number_index=id_index)
        .exclude(household__status=HouseholdStatus.CLOSED)
        .only("pk", "name", "household_id")
        .first()
    )
    matched = member if member is not None and names_match(name, member.name) else None
    now = timezone.now()
    challenge = VerificationChallenge(
        id=new_token(24),
        code_id=attribution.code_id if attribution else None,
        member_id=matched.pk if matched else None,
        household_id=matched.household_id if matched else None,
        id_index=id_index,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.QRLOOKUP_CODE_SECONDS),
    )
    # the foreign keys are ours (just read); checking them would cost a match a query more
    challenge.full_clean(exclude=["code", "member", "household"])
    challenge.save(force_insert=True)
    lookup_record(kind=LookupEventKind.IDENTITY, attribution=attribution, ua_class=ua_class)
    transaction.on_commit(lambda: send_verification_sms_task.delay(challenge.pk))
    return challenge.pk


def challenge_sms_send(*, challenge_id: str) -> str:
    """Send the code of a pending challenge, if it has a member with a phone on file and the
    phone is within its limits (1/minute, 5/hour, 10/day). Returns the challenge's SMS status.
    Runs once per challenge: a challenge no longer pending is left alone."""
    with transaction.atomic():
        challenge = (
            VerificationChallenge.objects.select_for_update().filter(pk=challenge_id).first()
        )
        if challenge is None or challenge.sms_status != SmsStatus.PENDING:
            return challenge.sms_status if challenge else ""
        member = (
            Member.objects.filter(pk=challenge.member_id)
            .only("pk", "phone_encrypted", "phone_index")
            .first()
            if challenge.member_id
            else None
        )
        code = ""
        if member is None or not member.phone_encrypted:
            challenge.sms_status = SmsStatus.NOT_SENT
        elif not limits.hit("phone", member.phone_index):
            challenge.sms_status = SmsStatus.LIMITED
        else:
            code = new_code()
            challenge.code_hash = code_hash(code, challenge_id=challenge.pk, key=_code_key())
            challenge.sms_status = SmsStatus.SENT
        challenge.save(update_fields=["sms_status", "code_hash"])
    if code and member is not None:
        phone = crypto.decrypt(member.phone_encrypted, column=PHONE_COLUMN)
        minutes = max(1, settings.QRLOOKUP_CODE_SECONDS // 60)
        try:
            sms.backend().send_code(phone=phone, code=code, minutes=minutes)
        except sms.SmsError:
            VerificationChallenge.objects.filter(pk=challenge_id).update(
                sms_status=SmsStatus.FAILED, code_hash=""
            )
            return SmsStatus.FAILED
    return challenge.sms_status


@dataclass(frozen=True)
class Confirmation:
    ok: bool
    household_id: int | None = None
    member_id: int | None = None
    message: str = ""


def verification_confirm(
    *,
    challenge_id: str,
    code: str,
    attribution: Attribution | None,
    ua_class: str,
) -> Confirmation:
    """Check ``code`` against the challenge of the caller's session. Each attempt is counted
    (a conditional UPDATE, so two requests cannot both use the last one); a right code is used
    up by the same kind of UPDATE (single use). Failures are answered alike and counted
    against the ID number: at ``QRLOOKUP_MAX_FAILED_CODES`` it is locked."""
    challenge = VerificationChallenge.objects.filter(pk=challenge_id).first()
    if challenge is None:
        return Confirmation(ok=False, message=CODE_FAILED)
    if limits.locked(challenge.id_index):
        lookup_record(kind=LookupEventKind.LOCKED, attribution=attribution, ua_class=ua_class)
        return Confirmation(ok=False, message=LOCKED)
    now = timezone.now()
    counted = VerificationChallenge.objects.filter(
        pk=challenge_id,
        verified_at__isnull=True,
        expires_at__gt=now,
        attempts__lt=settings.QRLOOKUP_MAX_FAILED_CODES,
    ).update(attempts=F("attempts") + 1)
    right = counted and code_matches(
        code, challenge.code_hash, challenge_id=challenge.pk, key=_code_key()
    )
    used = (
        right
        and VerificationChallenge.objects.filter(pk=challenge_id, verified_at__isnull=True).update(
            verified_at=now
        )
        == 1
    )
    if not used:
        lookup_record(kind=LookupEventKind.CODE_FAILED, attribution=attribution, ua_class=ua_class)
        if limits.fail(challenge.id_index):
            return Confirmation(ok=False, message=LOCKED)
        return Confirmation(ok=False, message=CODE_FAILED)
    limits.clear_failures(challenge.id_index)
    lookup_record(
        kind=LookupEventKind.VERIFIED,
        attribution=attribution,
        ua_class=ua_class,
        household_id=challenge.household_id,
    )
    return Confirmation(ok=True, household_id=challenge.household_id, member_id=challenge.member_id)


# --- WeChat binding ---------------------------------------------------------------------------


@transaction.atomic
def wechat_binding_save(*, openid_index: str, member_id: int) -> WechatBinding:
    """Bind a verified person's openid (hash) to them; a later scan from the same WeChat
    account skips the SMS until the binding expires (``QRLOOKUP_WECHAT_BINDING_DAYS``)."""
    now = timezone.now()
    binding = WechatBinding.objects.filter(openid_index=openid_index).first() or WechatBinding(
        openid_index=openid_index
    )
    binding.member_id = member_id
    binding.created_at = now
    binding.expires_at = now + timedelta(days=settings.QRLOOKUP_WECHAT_BINDING_DAYS)
    binding.full_clean(exclude=["member"])
    binding.save()
    return binding


def wechat_binding_member(*, openid_index: str) -> tuple[int, int] | None:
    """(member id, household id) of a live binding of this openid, or None."""
    binding = (
        WechatBinding.objects.filter(openid_index=openid_index, expires_at__gt=timezone.now())
        .exclude(member__household__status=HouseholdStatus.CLOSED)
        .values_list("member_id", "member__household_id")
        .first()
    )
    return (binding[0], binding[1]) if binding else None


@transaction.atomic
def wechat_binding_remove(*, openid_index: str) -> int:
    """The person unbinds their WeChat account (the next scan asks for an SMS again)."""
    deleted, _ = WechatBinding.objects.filter(openid_index=openid_index).delete()
    return deleted


def wechat_state() -> str:
    return new_token(16)
