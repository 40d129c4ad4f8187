"""Events back from the platform — application, decision, contract, drawdown, repayment,
balance — by signed webhook or by the nightly file, applied by loans' own services (the
ledger is one: a platform loan is a row with channel ``platform``).

- **Verified first**: a webhook names its platform (``X-FX-Platform``) and is signed with the
  platform's secret over ``timestamp.body``; a missing, stale (outside ±5 minutes) or wrong
  signature is rejected and recorded (``InboundEvent`` status ``rejected``), nothing read.
- **Once**: ``(platform, event_id)`` is unique among verified events. A replay (same id, same
  content) returns the first outcome and changes nothing; the same id with other content is
  refused. Each money-moving event also carries the platform's own number (application,
  contract, drawdown, repayment) as the service's idempotency key, so even a re-sent event
  under a new id moves money once.
- **Refused with a reason**: an unknown customer (no blind-index match), an unknown contract
  or loan, a product the platform does not carry, a service's refusal — the event is stored
  ``refused`` with the code and message; nothing is applied.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from openpyxl import load_workbook

from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError
from households.models import BusinessEntity, Member
from loans.applications import application_submit, application_withdraw
from loans.contracts import contract_sign
from loans.drawdowns import drawdown_create
from loans.engine import states
from loans.models import (
    Channel,
    InboundEvent,
    InboundSource,
    InboundStatus,
    LoanApplication,
    LoanContract,
    Platform,
    PlatformBalance,
    PlatformFileImport,
    PlatformLink,
    RepaymentChannel,
    VerificationMethod,
)
from loans.platform import signing
from loans.platform.deliveries import _require_head_office, body_bytes, platform_secret
from loans.repayments import repayment_record
from loans.verification import Verification

EVENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
NUMBER = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")
KINDS = ("application", "decision", "contract", "drawdown", "repayment", "balance")
FILE_COLUMNS = (
    "event_id",
    "type",
    "application_no",
    "contract_no",
    "drawdown_no",
    "repayment_no",
    "subject_type",
    "subject_ref",
    "product",
    "amount",
    "term_months",
    "repayment_method",
    "purpose",
    "outcome",
    "signature_ref",
    "paid_on",
    "principal_outstanding",
    "as_of",
)


class Outcome:
    APPLIED = "applied"
    REPLAYED = "replayed"
    REFUSED = "refused"
    CONFLICT = "conflict"
    REJECTED = "rejected"


# --- receiving --------------------------------------------------------------------------------


def _reject(
    platform: Platform | None, body: bytes, code: str, message: str, remote_addr: str | None
) -> InboundEvent:
    event = InboundEvent.objects.create(
        platform=platform,
        source=InboundSource.WEBHOOK,
        body_sha256=hashlib.sha256(body).hexdigest(),
        status=InboundStatus.REJECTED,
        code=code,
        message=message[:300],
        remote_addr=remote_addr,
    )
    audit_record(
        action=AuditAction.PLATFORM_REFUSED,
        target=event,
        target_label=f"平台事件（{platform.code if platform else '未知平台'}）",
        details={"code": code, "message": message, "ip": remote_addr},
    )
    return event


def event_receive(
    *,
    platform_code: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    remote_addr: str | None = None,
) -> tuple[InboundEvent, str]:
    """A webhook from a platform: verify, then apply once. Returns the event and the
    outcome (applied, replayed, refused, conflict, rejected)."""
    platform = Platform.objects.filter(code=platform_code or "", active=True).first()
    if platform is None:
        event = _reject(None, body, "unknown_platform", "未登记的平台", remote_addr)
        return event, Outcome.REJECTED
    try:
        signing.verify(platform_secret(platform), body, timestamp, signature)
    except signing.SignatureError as exc:
        return _reject(platform, body, exc.code, exc.message, remote_addr), Outcome.REJECTED
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        event = _reject(platform, body, "bad_json", "报文不是UTF-8 JSON", remote_addr)
        return event, Outcome.REJECTED
    if not isinstance(document, dict) or not EVENT_ID.match(str(document.get("event_id", ""))):
        message = "报文缺少事件编号（event_id：1至64位字母、数字或 _ . : -）"
        return _reject(platform, body, "bad_event", message, remote_addr), Outcome.REJECTED
    return event_apply(
        platform=platform, document=document, source=InboundSource.WEBHOOK, remote_addr=remote_addr
    )


def event_apply(
    *,
    platform: Platform,
    document: dict[str, Any],
    source: str,
    source_file: PlatformFileImport | None = None,
    remote_addr: str | None = None,
) -> tuple[InboundEvent, str]:
    """Apply one verified event exactly once (see the module's docstring)."""
    event_id = str(document.get("event_id", ""))
    kind = str(document.get("type", ""))
    data: dict[str, Any] = document["data"] if isinstance(document.get("data"), dict) else {}
    digest = hashlib.sha256(
        body_bytes({"event_id": event_id, "type": kind, "data": data})
    ).hexdigest()
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = InboundEvent.objects.create(
                    platform=platform,
                    event_id=event_id,
                    kind=kind[:20],
                    source=source,
                    source_file=source_file,
                    body_sha256=digest,
                    payload={
                        "type": kind,
                        "data": data,
                        "occurred_at": document.get("occurred_at"),
                    },
                    status=InboundStatus.REFUSED,  # until applied below
                    remote_addr=remote_addr,
                )
        except IntegrityError:
            first = InboundEvent.objects.get(
                platform=platform,
                event_id=event_id,
                status__in=[InboundStatus.APPLIED, InboundStatus.REFUSED],
            )
            if first.body_sha256 != digest:
                return first, Outcome.CONFLICT
            InboundEvent.objects.filter(pk=first.pk).update(replays=F("replays") + 1)
            return first, Outcome.REPLAYED
        try:
            if kind not in KINDS:
                raise DomainError(f"未知的事件类型：{kind or '（空）'}", code="unknown_type")
            with transaction.atomic():
                event.result = HANDLERS[kind](platform, event, data)
            event.status = InboundStatus.APPLIED
            event.message = "已入账"
        except DomainError as exc:
            event.status = InboundStatus.REFUSED
            event.code = exc.code[:40]
            event.message = exc.message[:300]
        event.save()
        audit_record(
            action=AuditAction.PLATFORM_EVENT,
            target=event,
            target_label=f"{platform.name} {kind} {event_id}",
            details={
                "status": event.status,
                "code": event.code,
                "source": source,
                "result": event.result,
            },
        )
    return event, Outcome.APPLIED if event.status == InboundStatus.APPLIED else Outcome.REFUSED


def event_retry(*, actor: Any, event: InboundEvent, request: Any = None) -> InboundEvent:
    """Head office applies a refused event again once what it needed has arrived (say a
    drawdown that came before its contract). The same handler, the same idempotency keys: it
    moves money at most once. Applied: the event becomes 已入账; refused again: the new reason
    is kept."""
    _require_head_office(actor)
    with transaction.atomic():
        event = (
            InboundEvent.objects.select_for_update(of=("self",))
            .select_related("platform")
            .get(pk=event.pk)
        )
        if event.status != InboundStatus.REFUSED or event.platform is None:
            raise DomainError("只有已拒绝的平台事件可以重新处理", code="invalid_state")
        kind = event.payload.get("type", "")
        data = event.payload.get("data") or {}
        try:
            if kind not in KINDS:
                raise DomainError(f"未知的事件类型：{kind or '（空）'}", code="unknown_type")
            with transaction.atomic():
                event.result = HANDLERS[kind](event.platform, event, data)
            event.status = InboundStatus.APPLIED
            event.code = ""
            event.message = "重新处理后入账"
        except DomainError as exc:
            event.code = exc.code[:40]
            event.message = f"重新处理仍被拒绝：{exc.message}"[:300]
        event.save()
        audit_record(
            action=AuditAction.PLATFORM_EVENT,
            actor=actor,
            target=event,
            target_label=f"{event.platform.name} {kind} {event.event_id}",
            request=request,
            details={"status": event.status, "code": event.code, "retry": True},
        )
    return event


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


# --- the nightly file ---------------------------------------------------------------------------


def _file_rows(content: bytes, file_name: str) -> list[dict[str, str]]:
    if file_name.lower().endswith(".xlsx"):
        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:
            raise DomainError({"file": "无法读取该XLSX文件"}) from exc
        sheet = workbook.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = [str(c or "").strip() for c in next(lines, ())]
        rows = [
            {h: ("" if v is None else str(v)).strip() for h, v in zip(header, line, strict=False)}
            for line in lines
            if any(v not in (None, "") for v in line)
        ]
        workbook.close()
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DomainError({"file": "事件文件须为UTF-8编码的CSV或XLSX"}) from exc
        reader = csv.DictReader(io.StringIO(text))
        header = list(reader.fieldnames or [])
        rows = [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    missing = [c for c in ("event_id", "type") if c not in header]
    if missing:
        raise DomainError({"file": f"事件文件缺少列：{'、'.join(missing)}"})
    return rows


def platform_file_import(
    *,
    platform: Platform,
    content: bytes,
    file_name: str,
    declared_sha256: str,
    actor: Any = None,
) -> PlatformFileImport:
    """Import a platform's event file (CSV or XLSX; columns ``FILE_COLUMNS``) after checking
    its SHA-256 against the one its manifest declared. Each row is an event applied on its
    own (a replayed row changes nothing); the import keeps the row report. A file whose
    checksum does not match is recorded and nothing in it is read."""
    digest = hashlib.sha256(content).hexdigest()
    declared = (declared_sha256 or "").strip().lower()
    batch = PlatformFileImport.objects.create(
        platform=platform,
        file_name=file_name[:200],
        sha256=digest,
        declared_sha256=declared[:64],
        uploaded_by=actor,
    )
    if digest != declared:
        batch.message = "文件SHA-256与清单不符，未导入任何一行（文件可能不完整或被改动）"
        batch.save(update_fields=["message"])
        audit_record(
            action=AuditAction.PLATFORM_REFUSED,
            actor=actor,
            target=batch,
            target_label=batch.file_name,
            details={"code": "checksum_mismatch", "sha256": digest, "declared": declared},
        )
        return batch
    try:
        rows = _file_rows(content, file_name)
    except DomainError as exc:
        batch.message = exc.message[:300]
        batch.save(update_fields=["message"])
        return batch
    batch.accepted = True
    counts = {"applied": 0, "repeated": 0, "refused": 0}
    report = []
    for number, row in enumerate(rows, start=2):
        event_id = row.get("event_id", "")
        base = {"row": number, "event_id": event_id, "type": row.get("type", "")}
        if not EVENT_ID.match(event_id):
            counts["refused"] += 1
            report.append({**base, "status": "refused", "message": "事件编号无效"})
            continue
        data = {k: v for k, v in row.items() if k not in ("event_id", "type") and v != ""}
        event, outcome = event_apply(
            platform=platform,
            document={"event_id": event_id, "type": row.get("type", ""), "data": data},
            source=InboundSource.FILE,
            source_file=batch,
        )
        if outcome == Outcome.APPLIED:
            counts["applied"] += 1
            report.append({**base, "status": "applied", "message": "已入账"})
        elif outcome == Outcome.REPLAYED and event.status == InboundStatus.REFUSED:
            counts["refused"] += 1
            message = f"重复事件，首次已拒绝：{event.message}"
            report.append({**base, "status": "refused", "message": message})
        elif outcome == Outcome.REPLAYED:
            counts["repeated"] += 1
            report.append({**base, "status": "repeated", "message": "该事件已处理，未重复入账"})
        elif outcome == Outcome.CONFLICT:
            counts["refused"] += 1
            report.append({**base, "status": "refused", "message": "事件编号已用于内容不同的事件"})
        else:
            counts["refused"] += 1
            report.append({**base, "status": "refused", "message": event.message})
    batch.rows = len(report)
    batch.applied, batch.repeated, batch.refused = (
        counts["applied"],
        counts["repeated"],
        counts["refused"],
    )
    batch.report = report
    batch.message = "已导入"
    batch.save()
    audit_record(
        action=AuditAction.PLATFORM_FILE_IMPORT,
        actor=actor,
        target=batch,
        target_label=batch.file_name,
        details={"rows": batch.rows, **counts, "sha256": digest},
    )
    return batch


def inbox_import() -> list[int]:
    """Import every ``*.csv``/``*.xlsx`` in each platform's inbox that has its ``.sha256``
    beside it (the first word of that file); move both to ``done/`` afterwards."""
    made: list[int] = []
    for platform in Platform.objects.filter(active=True):
        inbox = Path(settings.MEDIA_ROOT) / "platform" / platform.code / "inbox"
        if not inbox.is_dir():
            continue
        done = inbox.parent / "done"
        done.mkdir(exist_ok=True)
        for path in sorted(inbox.iterdir()):
            sidecar = path.with_name(path.name + ".sha256")
            if path.suffix.lower() not in (".csv", ".xlsx") or not sidecar.exists():
                continue
            declared = (sidecar.read_text(encoding="utf-8").split() or [""])[0]
            batch = platform_file_import(
                platform=platform,
                content=path.read_bytes(),
                file_name=path.name,
                declared_sha256=declared,
            )
            made.append(batch.pk)
            path.rename(done / path.name)
            sidecar.rename(done / sidecar.name)
    return made
