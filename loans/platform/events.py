"""What each event back from the platform does: its fields checked, the subject, application
or contract found by the platform's numbers, and loans' own service called (``HANDLERS`` by
event type). Receiving, verifying and recording the events is ``inbound``."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from fuxiang.errors import DomainError
from households.models import BusinessEntity, Member
from loans.applications import application_submit, application_withdraw
from loans.contracts import contract_sign
from loans.drawdowns import drawdown_create
from loans.engine import states
from loans.models import (
    Channel,
    InboundEvent,
    LoanApplication,
    LoanContract,
    Platform,
    PlatformBalance,
    PlatformLink,
    RepaymentChannel,
    VerificationMethod,
)
from loans.repayments import repayment_record
from loans.verification import Verification

# The platform's own numbers (application, contract, drawdown, repayment).
NUMBER = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")


# --- the events -------------------------------------------------------------------------------


def _text(data: dict[str, Any], field: str, label: str) -> str:
    value = str(data.get(field) or "").strip()
    if not value:
        raise DomainError({field: f"缺少{label}（{field}）"}, code="missing_field")
    return value


def _number(data: dict[str, Any], field: str, label: str) -> str:
    value = _text(data, field, label)
    if not NUMBER.match(value):
        raise DomainError({field: f"{label}须为1至60位字母、数字或 _ . -"}, code="bad_field")
    return value


def _decimal(data: dict[str, Any], field: str, label: str) -> Decimal:
    try:
        return Decimal(_text(data, field, label))
    except InvalidOperation as exc:
        raise DomainError({field: f"{label}须为数字"}, code="bad_field") from exc


def _day(data: dict[str, Any], field: str, label: str) -> date:
    try:
        return date.fromisoformat(_text(data, field, label))
    except ValueError as exc:
        raise DomainError({field: f"{label}须为YYYY-MM-DD"}, code="bad_field") from exc


def _verification(platform: Platform, event: InboundEvent, reference: str = "") -> Verification:
    """The platform's attestation: it verified the borrower (实名认证, its own SMS) and signed
    the event; the signed event is the evidence, received now."""
    return Verification(
        channel=Channel.PLATFORM,
        method=VerificationMethod.PLATFORM,
        verified_at=timezone.now(),
        reference=reference or f"{platform.code}:{event.event_id}",
        ip=event.remote_addr,
        user_agent=f"platform:{platform.code}",
    )


def find_subject(subject_type: str, subject_ref: str) -> Any:
    """The borrower the platform means, by the blind index the whitelist gave it (a
    household's head's resident ID; an entity's legal representative's)."""
    if subject_type == "household":
        member = (
            Member.objects.select_related("household")
            .filter(relation="head", id_number_index=subject_ref)
            .first()
        )
        if member is not None:
            return member.household
    elif subject_type == "entity":
        entities = list(BusinessEntity.objects.filter(legal_rep_id_index=subject_ref)[:2])
        if len(entities) == 1:
            return entities[0]
    raise DomainError(
        {"subject_ref": "未找到该客户（客户标识与本行档案不匹配）"}, code="unknown_subject"
    )


def _application(platform: Platform, number: str) -> LoanApplication:
    link = (
        PlatformLink.objects.select_related("application")
        .filter(platform=platform, kind=PlatformLink.Kind.APPLICATION, external_no=number)
        .first()
    )
    if link is None or link.application is None:
        raise DomainError(
            {"application_no": f"未找到平台申请{number}（须先报送申请事件）"},
            code="unknown_application",
        )
    return link.application


def _contract(platform: Platform, number: str) -> LoanContract:
    link = (
        PlatformLink.objects.select_related("contract")
        .filter(platform=platform, kind=PlatformLink.Kind.CONTRACT, external_no=number)
        .first()
    )
    if link is None or link.contract is None:
        raise DomainError(
            {"contract_no": f"未找到平台合同{number}（须先报送签约事件）"}, code="unknown_contract"
        )
    return link.contract


def _key(platform: Platform, what: str, number: str) -> str:
    return f"pf:{platform.code}:{what}:{number}"[:100]


def on_application(platform: Platform, event: InboundEvent, data: dict[str, Any]) -> dict:
    number = _number(data, "application_no", "平台申请号")
    product = platform.products.filter(code=_text(data, "product", "产品")).first()
    if product is None:
        raise DomainError({"product": f"{platform.name}未开通该产品"}, code="unknown_product")
    subject = find_subject(
        _text(data, "subject_type", "客户类型"), _text(data, "subject_ref", "客户标识")
    )
    try:
        term = int(_text(data, "term_months", "期限"))
    except ValueError as exc:
        raise DomainError({"term_months": "期限须为整数（月）"}, code="bad_field") from exc
    application = application_submit(
        subject=subject,
        product=product,
        amount=_decimal(data, "amount", "申请金额"),
        term_months=term,
        repayment_method=_text(data, "repayment_method", "还款方式"),
        purpose=str(data.get("purpose") or ""),
        verification=_verification(platform, event),
        idempotency_key=_key(platform, "apply", number),
    )
    PlatformLink.objects.get_or_create(
        platform=platform,
        kind=PlatformLink.Kind.APPLICATION,
        external_no=number,
        defaults={"application": application},
    )
    return {
        "application": application.pk,
        "status": application.status,
        "reasons": [r.get("code") for r in application.reasons],
        "rate_bp": application.rate_bp,
        "available": str(application.available) if application.available is not None else None,
    }


def on_decision(platform: Platform, event: InboundEvent, data: dict[str, Any]) -> dict:
    """The outcome the platform showed the borrower. Withdrawn/declined there: withdraw an
    open application here. Approved there must be approved here (else refused: a difference
    for head office, the ledger keeps its own decision)."""
    application = _application(platform, _number(data, "application_no", "平台申请号"))
    outcome = _text(data, "outcome", "决定")
    if outcome in ("withdrawn", "declined"):
        if application.status in states.OPEN_APPLICATION_STATES:
            application = application_withdraw(
                application=application, verification=_verification(platform, event)
            )
        return {"application": application.pk, "status": application.status}
    if outcome == "approved":
        if application.status not in ("approved", "signed"):
            raise DomainError(
                f"平台显示已批准，本行该申请为“{application.get_status_display()}”",
                code="decision_mismatch",
            )
        return {"application": application.pk, "status": application.status}
    raise DomainError({"outcome": "决定须为 approved、declined 或 withdrawn"}, code="bad_field")


def on_contract(platform: Platform, event: InboundEvent, data: dict[str, Any]) -> dict:
    application = _application(platform, _number(data, "application_no", "平台申请号"))
    number = _number(data, "contract_no", "平台合同号")
    reference = _number(data, "signature_ref", "平台签约凭据")
    contract = contract_sign(
        application=application,
        verification=_verification(platform, event, f"{platform.code}:{reference}"),
        idempotency_key=_key(platform, "sign", number),
    )
    PlatformLink.objects.get_or_create(
        platform=platform,
        kind=PlatformLink.Kind.CONTRACT,
        external_no=number,
        defaults={"contract": contract},
    )
    return {
        "contract": contract.number,
        "amount": str(contract.amount),
        "sha256": contract.text_sha256,
    }


def on_drawdown(platform: Platform, event: InboundEvent, data: dict[str, Any]) -> dict:
    contract = _contract(platform, _number(data, "contract_no", "平台合同号"))
    number = _number(data, "drawdown_no", "平台放款号")
    drawdown = drawdown_create(
        contract=contract,
        amount=_decimal(data, "amount", "放款金额"),
        verification=_verification(platform, event),
        idempotency_key=_key(platform, "draw", number),
    )
    return {"drawdown": drawdown.pk, "loan": drawdown.loan.number, "amount": str(drawdown.amount)}


def on_repayment(platform: Platform, event: InboundEvent, data: dict[str, Any]) -> dict:
    contract = _contract(platform, _number(data, "contract_no", "平台合同号"))
    number = _number(data, "repayment_no", "平台还款流水号")
    loan = contract.loans.order_by("id").first()
    if loan is None:
        raise DomainError({"contract_no": "该合同尚未放款，没有借据可还"}, code="unknown_loan")
    repayment = repayment_record(
        loan=loan,
        amount=_decimal(data, "amount", "还款金额"),
        paid_on=_day(data, "paid_on", "还款日期"),
        channel=RepaymentChannel.PLATFORM,
        reference=number,
        idempotency_key=_key(platform, "repay", number),
    )
    return {
        "repayment": repayment.pk,
        "principal": str(repayment.principal_part),
        "interest": str(repayment.interest_part),
    }


def on_balance(platform: Platform, event: InboundEvent, data: dict[str, Any]) -> dict:
    """The platform's balance of a contract on a day: kept for the reconciliation, never
    written into the ledger."""
    contract = _contract(platform, _number(data, "contract_no", "平台合同号"))
    amount = _decimal(data, "principal_outstanding", "本金余额")
    if amount < 0:
        raise DomainError({"principal_outstanding": "本金余额不能为负"}, code="bad_field")
    day = _day(data, "as_of", "对账日")
    PlatformBalance.objects.update_or_create(
        platform=platform,
        contract=contract,
        as_of=day,
        defaults={"principal_outstanding": amount, "event": event},
    )
    return {"contract": contract.number, "as_of": day.isoformat(), "balance": str(amount)}


HANDLERS = {
    "application": on_application,
    "decision": on_decision,
    "contract": on_contract,
    "drawdown": on_drawdown,
    "repayment": on_repayment,
    "balance": on_balance,
}
