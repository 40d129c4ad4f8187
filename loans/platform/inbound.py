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

import hashlib
import json
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError
from loans.models import (
    InboundEvent,
    InboundSource,
    InboundStatus,
    Platform,
    PlatformFileImport,
)
from loans.platform import signing
from loans.platform.deliveries import _require_head_office, body_bytes, platform_secret
from loans.platform.events import HANDLERS

EVENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
KINDS = ("application", "decision", "contract", "drawdown", "repayment", "balance")


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


def event_retry(
    *, actor: Any, event: InboundEvent, audit: AuditContext | None = None
) -> InboundEvent:
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
            audit=audit,
            details={"status": event.status, "code": event.code, "retry": True},
        )
    return event
