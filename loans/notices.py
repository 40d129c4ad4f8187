"""SMS notices to the borrower (短信通知) and the signing code, from loans' own Chinese templates.

Loans composes the text; the sending is the SMS module of the villager's channel
(``qrlookup.sms``: the development outbox, or Tencent Cloud SMS), which registers itself here
from its ``AppConfig.ready()`` — loans imports no app to its right. A notice goes after the
commit, from a Celery task that decrypts the phone number on file just before sending; a failed
SMS never undoes the loan event it reports.

Each template is sent by name with its parameters in order (Tencent Cloud SMS sends approved
templates by id and parameters; the outbox keeps the rendered text).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

# name → (text, parameters in the order the SMS provider's template takes them)
TEMPLATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "loan_sign_code": (
        "您正在签订{product}借款合同：借款金额{amount}元，期限{term}个月，年利率{rate}。"
        "签约验证码{code}，{minutes}分钟内有效。如非本人申请，请勿将验证码告诉任何人。",
        ("product", "amount", "term", "rate", "code", "minutes"),
    ),
    "loan_approved": (
        "您申请的{product}{amount}元（期限{term}个月，年利率{rate}）已审批通过，"
        "请于{deadline}前完成签约。",
        ("product", "amount", "term", "rate", "deadline"),
    ),
    "loan_signed": (
        "您已签订{product}借款合同{number}：借款金额{amount}元，期限{term}个月，"
        "年利率{rate}。请于{draw_by}前用款，逾期合同失效。",
        ("product", "number", "amount", "term", "rate", "draw_by"),
    ),
    "loan_drawn": (
        "您的{product}贷款{amount}元已于{day}发放，借据号{loan}，到期日{maturity}。"
        "如非本人操作，请立即联系您的客户经理。",
        ("product", "amount", "day", "loan", "maturity"),
    ),
}

# sender(phone=..., template=..., text=..., params=[...]) — registered by the SMS module
Sender = Callable[..., None]
_senders: list[Sender] = []


def sms_sender_register(sender: Sender) -> None:
    """The SMS module offers itself (``qrlookup.apps``); the last one registered sends."""
    _senders.append(sender)


def notice_text(template: str, params: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The rendered text and the parameters in the template's order."""
    text, names = TEMPLATES[template]
    values = {name: str(params[name]) for name in names}
    return text.format(**values), [values[name] for name in names]


def notice_send(*, member_id: int | None, template: str, params: Mapping[str, Any]) -> None:
    """Queue an SMS to a member's phone on file, after the commit (nothing without a member)."""
    if member_id is None:
        return
    notice_text(template, params)  # a missing parameter fails here, in the caller's request
    values = {k: str(v) for k, v in params.items()}

    def queue() -> None:
        from loans.tasks import send_notice

        send_notice.delay(member_id=member_id, template=template, params=values)

    transaction.on_commit(queue)


def borrower_member_id(application: Any) -> int | None:
    """Whom a loan's notices go to: the applicant, or the household's head when the officer
    applied without naming one (an entity: nobody, it has no phone on file)."""
    if application.applicant_member_id is not None:
        return int(application.applicant_member_id)
    if application.household_id is None:
        return None
    from households.models import Member, Relation

    return (
        Member.objects.filter(household_id=application.household_id, relation=Relation.HEAD)
        .values_list("pk", flat=True)
        .first()
    )


def approved_notice(application: Any) -> None:
    from django.utils import timezone

    from credit.engine import rate_percent
    from loans.engine.rules import yuan

    deadline = timezone.localtime(application.expires_at)
    notice_send(
        member_id=borrower_member_id(application),
        template="loan_approved",
        params={
            "product": application.product.name,
            "amount": yuan(application.amount),
            "term": application.term_months,
            "rate": rate_percent(application.rate_bp or 0),
            "deadline": f"{deadline:%Y年%m月%d日%H:%M}",
        },
    )


def notice_deliver(*, member_id: int, template: str, params: Mapping[str, Any]) -> str:
    """Send now (the task's body): "sent", "no_phone" or "no_sender". A provider's refusal is
    raised (the task logs it)."""
    from fuxiang import crypto
    from households.models import Member
    from households.services import PHONE_COLUMN

    member = Member.objects.filter(pk=member_id).only("phone_encrypted").first()
    if member is None or not member.phone_encrypted:
        return "no_phone"
    if not _senders:
        logger.warning("no SMS sender registered: %s not sent", template)
        return "no_sender"
    text, ordered = notice_text(template, params)
    phone = crypto.decrypt(member.phone_encrypted, column=PHONE_COLUMN)
    _senders[-1](phone=phone, template=template, text=text, params=ordered)
    return "sent"
