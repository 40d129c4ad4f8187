"""Signing (签约): the contract rendered from the current template with the approved
application's amount, the line's rate, the term, the schedule and the borrower's masked
identity; confirmed by the verification the caller passes (an SMS code the villager's channel
verified, or the officer in person); stored immutably with the SHA-256 of its text, the time,
IP and user agent. Signing occupies the contract's amount of the borrower's line, under the
borrower's exposure lock, so Σ contracts never exceeds the line."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.template import Context, Engine
from django.utils import timezone

from credit.engine import rate_percent
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, NotFound
from fuxiang.masking import mask_name
from fuxiang.pdf import text_pdf
from households.models import BusinessEntity, Member, Relation
from loans.borrowers import (
    Borrower,
    available,
    borrowing_person,
    exposure_lock,
    refuse_unusable_line,
)
from loans.drawdowns import draw_deadline
from loans.engine import rules, schedules, states
from loans.engine.rules import yuan
from loans.idempotency import idempotency_claim
from loans.models import (
    Channel,
    ContractTemplate,
    LoanApplication,
    LoanContract,
    SigningCode,
    VerificationMethod,
    WhitelistEntry,
)
from loans.notices import notice_send
from loans.retry import retry_once_on_conflict
from loans.signals import ledger_changed_on_commit
from loans.signing import refuse_unsignable
from loans.verification import Verification, check_verification

# Templates are data written by head office: rendered without any project template tags.
_ENGINE = Engine(autoescape=False, libraries={}, builtins=["django.template.defaultfilters"])
CHINESE_DIGITS = "零壹贰叁肆伍陆柒捌玖"
CHINESE_UNITS = ["", "拾", "佰", "仟"]
CHINESE_SECTIONS = ["", "万", "亿"]


def amount_in_words(amount: Decimal) -> str:
    """The amount in capital Chinese numerals (大写金额), as contracts write it."""
    fen_total = int((amount * 100).to_integral_value())
    yuan_part, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    if yuan_part == 0 and not (jiao or fen):
        return "零元整"
    words, section, zero = "", 0, False
    while yuan_part:
        chunk, yuan_part = yuan_part % 10000, yuan_part // 10000
        text, need_zero = "", False
        for i in range(4):
            digit = chunk // 10**i % 10
            if digit:
                text = CHINESE_DIGITS[digit] + CHINESE_UNITS[i] + ("零" if need_zero else "") + text
                need_zero = False
            elif text:
                need_zero = True
        if chunk:
            words = text + CHINESE_SECTIONS[section] + ("零" if zero else "") + words
        zero = 0 < chunk < 1000 and bool(yuan_part)
        section += 1
    words = (words + "元") if words else ""
    if jiao or fen:
        words += (CHINESE_DIGITS[jiao] + "角") if jiao else ("零" if words else "")
        words += (CHINESE_DIGITS[fen] + "分") if fen else ""
    else:
        words += "整"
    return words


def borrower_identity(borrower: Borrower, member_id: int | None = None) -> tuple[str, str]:
    """(masked name, masked ID) of the borrower: the member who applied (the head or the
    head's spouse; the head when none is recorded), or the entity with its legal
    representative's masked ID."""
    if borrower.household_id is not None:
        members = Member.objects.filter(household_id=borrower.household_id)
        head = (
            (members.filter(pk=member_id) if member_id else members.filter(relation=Relation.HEAD))
            .only("name", "id_number_masked")
            .first()
        )
        return (mask_name(head.name), head.id_number_masked) if head else ("", "")
    entity = BusinessEntity.objects.get(pk=borrower.subject_id)
    return entity.name, entity.legal_rep_id_masked


def contract_render(
    *,
    template: ContractTemplate,
    application: LoanApplication,
    number: str,
    name: str,
    id_masked: str,
    start: date,
    maturity: date,
) -> str:
    rate = Decimal(application.rate_bp or 0) / Decimal(10000)
    rows = schedules.schedule(
        application.repayment_method,
        principal=application.amount,
        annual_rate=rate,
        months=application.term_months,
        start=start,
    )
    principal, interest = schedules.totals(rows)
    context = {
        "number": number,
        "product": application.product_version.product.name,
        "product_version": application.product_version.version,
        "borrower_name": name,
        "borrower_id": id_masked,
        "amount": yuan(application.amount),
        "amount_words": amount_in_words(application.amount),
        "rate": rate_percent(application.rate_bp or 0),
        "term_months": application.term_months,
        "method": schedules.METHOD_LABELS[application.repayment_method],
        "revolving": application.repayment_method == schedules.REVOLVING,
        "start": f"{start:%Y年%m月%d日}",
        "maturity": f"{maturity:%Y年%m月%d日}",
        "schedule": [
            {
                "number": r.number,
                "due": f"{r.due_date:%Y-%m-%d}",
                "principal": f"{r.principal:,.2f}",
                "interest": f"{r.interest:,.2f}",
                "payment": f"{r.payment:,.2f}",
            }
            for r in rows
        ],
        "total_interest": f"{interest:,.2f}",
        "total_payment": f"{principal + interest:,.2f}",
        "purpose": application.purpose,
        "draw_within_days": application.product_version.draw_within_days,
        "min_drawdown": yuan(application.product_version.min_drawdown),
    }
    return _ENGINE.from_string(template.body).render(Context(context)).strip() + "\n"


def contract_number(application: LoanApplication, today: date) -> str:
    return f"FX{today:%Y%m%d}{application.pk:08d}"


@retry_once_on_conflict
@transaction.atomic
def contract_sign(
    *,
    application: LoanApplication,
    verification: Verification | None,
    idempotency_key: str,
    audit: AuditContext | None = None,
) -> LoanContract:
    """Sign an approved application. ``verification`` is the caller's proof that the borrower
    confirmed (its ``reference`` — the verified code's id — is used once: a replayed code
    cannot sign again). Refused when the approval expired, or the line is no longer usable or
    no longer has the amount available. Returns the contract (the first one, on a retry)."""
    verification = check_verification(verification, signing=True, max_age_minutes=10)
    borrower = Borrower.of(application)
    claim = idempotency_claim(
        scope=f"sign:application:{application.pk}",
        key=idempotency_key,
        payload={"application": application.pk, "reference": verification.reference},
        model=LoanContract,
    )
    if claim.replay is not None:
        return claim.replay  # type: ignore[return-value]
    exposure = exposure_lock(borrower)
    try:
        application = (
            LoanApplication.objects.select_for_update()
            .select_related("product_version__product")
            .get(pk=application.pk)
        )
    except LoanApplication.DoesNotExist as exc:
        raise NotFound() from exc
    now, today = timezone.now(), timezone.localdate()
    refuse_unsignable(application, now)
    signer = _signer(application, verification, borrower, today)
    _check_branch_code(application, verification, signer)
    line = refuse_unusable_line(borrower.line(), today)
    free = available(line, exposure.in_use, today)
    if application.amount > free:
        raise DomainError(
            {"amount": f"合同金额{yuan(application.amount)}元超过可用授信额度{yuan(free)}元"},
            code="above_available",
        )
    _recheck(application, borrower, line, exposure.in_use, today)
    template = ContractTemplate.objects.order_by("-created_at", "-id").first()
    if template is None:
        raise DomainError("尚未配置合同模板，请联系总行", code="no_template")
    name, id_masked = borrower_identity(borrower, signer.pk if signer else None)
    number = contract_number(application, today)
    maturity = schedules.add_months(today, application.term_months)
    text = contract_render(
        template=template,
        application=application,
        number=number,
        name=name,
        id_masked=id_masked,
        start=today,
        maturity=maturity,
    )
    contract = LoanContract(
        number=number,
        application=application,
        **borrower.fields,
        product_version=application.product_version,
        template=template,
        amount=application.amount,
        rate_bp=int(application.rate_bp or 0),
        term_months=application.term_months,
        repayment_method=application.repayment_method,
        start_date=today,
        maturity_date=maturity,
        occupied=application.amount,
        rendered_text=text,
        text_sha256=hashlib.sha256(text.encode()).hexdigest(),
        borrower_name_masked=name,
        borrower_id_masked=id_masked,
        signed_at=now,
        signing_channel=verification.channel,
        signing_method=verification.method,
        verification_ref=verification.reference[:64],
        verified_at=verification.verified_at,
        signed_ip=verification.ip,
        signed_user_agent=verification.user_agent[:300],
        signed_by_staff=verification.staff,
    )
    try:
        with transaction.atomic():
            contract.save()
    except IntegrityError as exc:
        raise DomainError(
            {"verification": "该验证码已用于签约，请重新获取验证码"}, code="verification_replayed"
        ) from exc
    exposure.in_use += application.amount
    exposure.save(update_fields=["in_use", "updated_at"])
    application.status = states.transition(states.APPLICATION, application.status, "signed")
    application.closed_at = now
    application.save(update_fields=["status", "closed_at"])
    claim.complete(contract)
    audit_record(
        action=AuditAction.LOAN_SIGN,
        actor=verification.staff,
        target=contract,
        target_label=f"贷款合同{number}",
        audit=audit,
        details={
            "amount": str(contract.amount),
            "sha256": contract.text_sha256,
            "channel": verification.channel,
            "method": verification.method,
        },
    )
    ledger_changed_on_commit(
        household_ids=[contract.household_id],
        entity_ids=[contract.business_entity_id],
        reason="sign",
    )
    notice_send(
        member_id=signer.pk if signer else None,
        template="loan_signed",
        params={
            "product": application.product_version.product.name,
            "number": number,
            "amount": yuan(contract.amount),
            "term": contract.term_months,
            "rate": rate_percent(contract.rate_bp),
            "draw_by": f"{draw_deadline(contract):%Y年%m月%d日}",
        },
    )
    return contract


def _check_branch_code(
    application: LoanApplication, verification: Verification, signer: Any
) -> None:
    """At the branch an officer signs only with the code the borrower received on their own
    phone (``loans.signing``): the verification's reference must be that code, used, for this
    application and this person."""
    if verification.channel != Channel.BRANCH or signer is None:
        return
    used = SigningCode.objects.filter(
        pk=verification.reference,
        application_id=application.pk,
        member_id=signer.pk,
        used_at__isnull=False,
    ).exists()
    if verification.method != VerificationMethod.SMS or not used:
        raise DomainError(
            {"verification": "网点签约须由借款人提供本人手机收到的签约验证码"},
            code="not_verified",
        )


def _signer(
    application: LoanApplication, verification: Verification, borrower: Borrower, today: date
) -> Any:
    """The person signing for a household: the one who applied, verified again now, and
    still the head or the head's adult spouse."""
    member_id = verification.member_id
    if member_id is None and verification.channel != Channel.VILLAGER:
        member_id = application.applicant_member_id  # the officer (or platform) for them
    if (
        application.applicant_member_id is not None
        and member_id is not None
        and member_id != application.applicant_member_id
    ):
        raise DomainError(
            {"verification": "须由申请人本人签约：请申请人本人验证身份后签约"},
            code="not_applicant",
        )
    return borrowing_person(
        borrower, member_id=member_id, channel=verification.channel, today=today
    )


def _recheck(
    application: LoanApplication, borrower: Borrower, line: Any, in_use: Decimal, today: date
) -> None:
    """At signing, everything the decision checked, afresh: the product still open, the
    borrower still eligible (kind, grade, the product's rule, on its whitelist), the line
    still the one approved (same grade and rate), usable and online if the product is. A
    change since the approval refuses, with the reason."""
    from loans.applications import applicant_facts, line_facts, product_in_force

    product_in_force(application.product_version.product)  # 暂停办理: product_unavailable
    if line.pk != application.credit_line_id and (
        line.grade != application.grade or line.rate_bp != application.rate_bp
    ):
        raise DomainError(
            f"授信已重新核定（评级{application.grade}→{line.grade}，年利率"
            f"{rate_percent(application.rate_bp or 0)}→{rate_percent(line.rate_bp)}），"
            "原审批不再适用，请重新申请",
            code="line_changed",
        )
    terms = application.product_version.terms
    facts = line_facts(borrower, in_use, today)
    reasons = rules.eligibility_reasons(
        terms, applicant_facts(borrower), facts.grade if facts else ""
    ) + rules.line_reasons(terms, facts, application.amount, today)
    if (
        not reasons
        and not WhitelistEntry.objects.filter(
            borrower.q, product_id=application.product_id, valid_to__isnull=True
        ).exists()
    ):
        reasons.append(rules.Reason("not_on_whitelist", f"已不在{terms.name}的白名单内"))
    if reasons:
        raise DomainError(
            "申请获批后情况有变化，不能签约：" + "；".join(r.message for r in reasons),
            code=reasons[0].code,
        )


def contract_preview(application: LoanApplication) -> str:
    """The text the borrower would sign today (shown before the SMS code confirms it)."""
    borrower = Borrower.of(application)
    template = ContractTemplate.objects.order_by("-created_at", "-id").first()
    if template is None:
        raise DomainError("尚未配置合同模板，请联系总行", code="no_template")
    name, id_masked = borrower_identity(borrower, application.applicant_member_id)
    today = timezone.localdate()
    return contract_render(
        template=template,
        application=application,
        number=contract_number(application, today),
        name=name,
        id_masked=id_masked,
        start=today,
        maturity=schedules.add_months(today, application.term_months),
    )


def contract_pdf(contract: LoanContract) -> bytes:
    """The signed contract as a PDF, rebuilt from its stored text (which its hash covers), for
    the borrower's channel and the back office alike."""
    signed = timezone.localtime(contract.signed_at)
    return text_pdf(
        title=f"{contract.product_version.product.name}个人借款合同",
        body=contract.rendered_text,
        footer=(
            f"合同编号 {contract.number} · 签约 {signed:%Y-%m-%d %H:%M}"
            f" · SHA-256 {contract.text_sha256}"
        ),
    )
