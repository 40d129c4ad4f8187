"""Who verified the borrower, how, and when: the evidence loans' services take from their
caller. Loans never verifies an SMS code itself (the villager's channel — the QR lookup pages,
later the loan platform — does, and passes what it verified), so any channel can apply and
sign without loans importing it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from fuxiang.clientaddress import client_address
from fuxiang.errors import DomainError
from loans.models import Channel, VerificationMethod


@dataclass(frozen=True)
class Verification:
    """``reference`` identifies the verified code (or session) once: a contract records it,
    and the database refuses a second contract signed with the same one (a replayed code)."""

    channel: str
    method: str
    verified_at: datetime
    reference: str = ""
    ip: str | None = None
    user_agent: str = ""
    staff: Any = None  # the officer who verified in person (channel "branch")
    member_id: int | None = None  # the household member who verified (their SMS code and ID)

    @classmethod
    def from_request(
        cls,
        request: Any,
        *,
        channel: str,
        method: str,
        verified_at: datetime,
        reference: str = "",
        member_id: int | None = None,
    ) -> Verification:

        return cls(
            channel=channel,
            method=method,
            verified_at=verified_at,
            reference=reference,
            ip=client_address(request) if request is not None else None,
            user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[
                :300
            ],
            staff=getattr(request, "user", None)
            if channel == Channel.BRANCH and request is not None
            else None,
            member_id=member_id,
        )


def check_verification(
    verification: Verification | None, *, max_age_minutes: int | None = None, signing: bool = False
) -> Verification:
    """Refuse a request without fresh evidence of the borrower's identity."""
    if verification is None:
        raise DomainError(
            {"verification": "请先完成身份验证（短信验证码）后再办理"}, code="not_verified"
        )
    if verification.channel not in Channel.values:
        raise DomainError({"verification": "办理渠道无效"}, code="not_verified")
    if verification.method not in VerificationMethod.values:
        raise DomainError({"verification": "身份核验方式无效"}, code="not_verified")
    if verification.channel == Channel.BRANCH and verification.staff is None:
        raise DomainError({"verification": "网点办理须由客户经理当面核实"}, code="not_verified")
    minutes = max_age_minutes or settings.LOANS_VERIFICATION_MAX_AGE_MINUTES
    now = timezone.now()
    if (
        not now - timedelta(minutes=minutes)
        <= verification.verified_at
        <= now + timedelta(minutes=1)
    ):
        raise DomainError(
            {"verification": f"身份验证已超过{minutes}分钟，请重新验证"}, code="not_verified"
        )
    if signing and not verification.reference:
        raise DomainError(
            {"verification": "签约须使用本次短信验证码确认（缺少验证凭据）"}, code="not_verified"
        )
    return verification
