"""Whitelist delivery to the loan platforms: registration and credentials, the push (a signed
webhook retried with exponential backoff on Celery, then dead-lettered until head office
re-sends it), batch files (CSV or XLSX written as they are read, with a SHA-256 manifest) and
the record of every pull. Every delivery is a ``Delivery`` row with its attempts.
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook

from fuxiang import crypto
from fuxiang.accounts import roles
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, PermissionDenied
from loans.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryKind,
    DeliveryStatus,
    LoanProduct,
    Platform,
)
from loans.platform import payloads, signing
from loans.platform.tasks import push_delivery

SECRET_COLUMN = "loans_platform.secret"  # noqa: S105 - a column name, bound into the ciphertext
USER_AGENT = "fuxiang-whitelist/1"


def _require_head_office(actor: Any) -> None:
    if actor is not None and not roles.can_import_repayments(actor):  # head office only
        raise PermissionDenied("只有总行可以管理线上贷款平台")


# --- platforms and credentials ----------------------------------------------------------------


def platform_register(
    *,
    actor: Any,
    code: str,
    name: str,
    products: list[LoanProduct],
    webhook_url: str = "",
    send_plaintext_ids: bool = True,
    retry_base_seconds: int = 30,
    max_attempts: int = 5,
    timeout_seconds: int = 10,
) -> tuple[Platform, str, str]:
    """Register a platform; returns it with its pull token and its signing secret (shown
    once: only the token's SHA-256 and the encrypted secret are kept)."""
    _require_head_office(actor)
    if Platform.objects.filter(code=code).exists():
        raise DomainError({"code": "该平台代码已登记"})
    token, secret = signing.new_token(), signing.new_secret()
    platform = Platform.objects.create(
        code=code,
        name=name,
        token_sha256=signing.token_digest(token),
        token_hint=token[-4:],
        secret_encrypted=crypto.encrypt(secret, column=SECRET_COLUMN),
        webhook_url=webhook_url,
        send_plaintext_ids=send_plaintext_ids,
        retry_base_seconds=retry_base_seconds,
        max_attempts=max_attempts,
        timeout_seconds=timeout_seconds,
    )
    platform.products.set(products)
    audit_record(
        action=AuditAction.PLATFORM_REGISTER,
        actor=actor,
        target=platform,
        target_label=platform.name,
        details={"code": code, "products": [p.code for p in products], "webhook": webhook_url},
    )
    return platform, token, secret


def platform_credentials_reset(*, actor: Any, platform: Platform) -> tuple[str, str]:
    """New token and secret (the old ones stop working at once)."""
    _require_head_office(actor)
    token, secret = signing.new_token(), signing.new_secret()
    platform.token_sha256 = signing.token_digest(token)
    platform.token_hint = token[-4:]
    platform.secret_encrypted = crypto.encrypt(secret, column=SECRET_COLUMN)
    platform.save(update_fields=["token_sha256", "token_hint", "secret_encrypted"])
    audit_record(
        action=AuditAction.PLATFORM_CREDENTIALS,
        actor=actor,
        target=platform,
        target_label=platform.name,
    )
    return token, secret


def platform_secret(platform: Platform) -> str:
    return crypto.decrypt(platform.secret_encrypted, column=SECRET_COLUMN)


def platform_for_token(token: str) -> Platform | None:
    if not token:
        return None
    return Platform.objects.filter(token_sha256=signing.token_digest(token), active=True).first()


def body_bytes(document: dict[str, Any]) -> bytes:
    """The canonical JSON of a payload (what is signed and hashed)."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


# --- push ---------------------------------------------------------------------------------------


def _last_version(platform: Platform, product: LoanProduct, kind: str) -> int | None:
    last = (
        Delivery.objects.filter(
            platform=platform, product=product, kind=kind, status=DeliveryStatus.DELIVERED
        )
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    return last


def push_document(delivery: Delivery) -> dict[str, Any]:
    """The push payload of ``delivery``, rebuilt the same way at every attempt (the versions
    it spans are closed, so it is the same document; its checksum proves it)."""
    include = delivery.platform.send_plaintext_ids
    document: dict[str, Any] = {
        "delivery": delivery.idempotency_key,
        "platform": delivery.platform.code,
        "product": delivery.product.code,
        "version": delivery.version,
        "since": delivery.since_version,
        "kind": "delta" if delivery.is_delta else "snapshot",
        "created_at": delivery.created_at.isoformat(),
    }
    if delivery.is_delta:
        rows, counts = payloads.delta_rows(
            delivery.product_id,
            delivery.since_version,  # type: ignore[arg-type]
            delivery.version,
            include_ids=include,
        )
        document["counts"] = counts
    else:
        rows = [
            {k: v for k, v in row.items() if not k.startswith("_")}
            for row in payloads.snapshot_rows(
                delivery.product_id, delivery.version, include_ids=include
            )
        ]
        document["counts"] = {"rows": len(rows)}
    document["entries"] = rows
    return document


@transaction.atomic
def delivery_push_create(
    *, platform: Platform, product: LoanProduct, actor: Any = None, full: bool = False
) -> Delivery | None:
    """Queue a push of ``product``'s latest whitelist to ``platform``: the delta since the
    last version it received by push, or the whole snapshot (first time, or ``full``).
    ``None`` when the platform already has the latest version."""
    _require_head_office(actor)
    if not platform.webhook_url:
        raise DomainError({"platform": f"{platform.name}未登记推送地址"})
    if not platform.products.filter(pk=product.pk).exists():
        raise DomainError({"product": f"{platform.name}未开通{product.name}"})
    latest = payloads.latest_version(product.pk)
    if latest is None:
        raise DomainError({"product": f"{product.name}尚无白名单"})
    since = None if full else _last_version(platform, product, DeliveryKind.PUSH)
    if since is not None and since >= latest.number:
        return None
    delivery = Delivery.objects.create(
        platform=platform,
        product=product,
        kind=DeliveryKind.PUSH,
        version=latest.number,
        since_version=since,
        idempotency_key=uuid.uuid4().hex,
        created_by=actor,
    )
    document = push_document(delivery)
    delivery.checksum = hashlib.sha256(body_bytes(document)).hexdigest()
    counts = document["counts"]
    delivery.rows = len(document["entries"])
    delivery.added = counts.get("added", 0)
    delivery.changed = counts.get("changed", 0)
    delivery.removed = counts.get("removed", 0)
    delivery.save(update_fields=["checksum", "rows", "added", "changed", "removed"])
    audit_record(
        action=AuditAction.PLATFORM_DELIVERY,
        actor=actor,
        target=delivery,
        target_label=str(delivery),
        details={"kind": "push", "rows": delivery.rows, "sha256": delivery.checksum},
    )
    delivery_id = delivery.pk
    transaction.on_commit(lambda: push_delivery.delay(delivery_id=delivery_id))
    return delivery


def backoff_seconds(platform: Platform, attempts: int) -> int:
    """Exponential: base, 2×base, 4×base … after the 1st, 2nd, 3rd failed attempt."""
    return int(platform.retry_base_seconds * 2 ** max(attempts - 1, 0))


def delivery_push_attempt(delivery_id: int, *, manual: bool = False) -> int | None:
    """Send ``delivery`` once (holding its row, so no two workers send it together). Returns
    the seconds to wait before the next attempt, or ``None`` when it is done (delivered, or
    dead-lettered after the platform's ``max_attempts``)."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .select_related("platform", "product")
            .get(pk=delivery_id)
        )
        if delivery.kind != DeliveryKind.PUSH or delivery.status not in (
            DeliveryStatus.PENDING,
            DeliveryStatus.RETRYING,
        ):
            return None  # delivered already, or dead: a stray retry sends nothing
        platform = delivery.platform
        body = body_bytes(push_document(delivery))
        if hashlib.sha256(body).hexdigest() != delivery.checksum:
            message = "报文校验和与交付记录不一致，停止发送"
            return _fail(delivery, None, message, manual, 0.0, dead=True)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            signing.PLATFORM_HEADER: platform.code,
            signing.IDEMPOTENCY_HEADER: delivery.idempotency_key,
            **signing.sign(platform_secret(platform), body),
        }
        started = time.perf_counter()
        try:
            response = requests.post(
                platform.webhook_url, data=body, headers=headers, timeout=platform.timeout_seconds
            )
        except requests.Timeout:
            return _fail(delivery, None, "推送超时", manual, time.perf_counter() - started)
        except requests.RequestException as exc:
            message = f"连接失败：{type(exc).__name__}"
            return _fail(delivery, None, message, manual, time.perf_counter() - started)
        seconds = time.perf_counter() - started
        if 200 <= response.status_code < 300:
            delivery.attempts += 1
            DeliveryAttempt.objects.create(
                delivery=delivery,
                number=delivery.attempts,
                status_code=response.status_code,
                seconds=seconds,
                manual=manual,
            )
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.last_status_code = response.status_code
            delivery.last_error = ""
            delivery.next_attempt_at = None
            delivery.save()
            return None
        return _fail(
            delivery, response.status_code, f"平台响应{response.status_code}", manual, seconds
        )


def _fail(
    delivery: Delivery,
    status_code: int | None,
    error: str,
    manual: bool,
    seconds: float,
    *,
    dead: bool = False,
) -> int | None:
    delivery.attempts += 1
    DeliveryAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        status_code=status_code,
        error=error[:300],
        seconds=seconds,
        manual=manual,
    )
    delivery.last_status_code = status_code
    delivery.last_error = error[:300]
    if dead or manual or delivery.attempts >= delivery.platform.max_attempts:
        delivery.status = DeliveryStatus.DEAD
        delivery.next_attempt_at = None
        delivery.save()
        return None
    wait = backoff_seconds(delivery.platform, delivery.attempts)
    delivery.status = DeliveryStatus.RETRYING
    delivery.next_attempt_at = timezone.now() + timedelta(seconds=wait)
    delivery.save()
    return wait


def delivery_resend(
    *, actor: Any, delivery: Delivery, audit: AuditContext | None = None
) -> Delivery:
    """Head office re-sends a dead-lettered push (one attempt now; a failure dead-letters it
    again, with the attempt recorded)."""
    _require_head_office(actor)
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.kind != DeliveryKind.PUSH:
            raise DomainError("只有推送方式的交付可以重发", code="invalid_state")
        if delivery.status != DeliveryStatus.DEAD:
            raise DomainError(
                f"该交付状态为“{delivery.get_status_display()}”，无需重发", code="invalid_state"
            )
        delivery.status = DeliveryStatus.PENDING
        delivery.save(update_fields=["status"])
        audit_record(
            action=AuditAction.PLATFORM_RESEND,
            actor=actor,
            target=delivery,
            target_label=str(delivery),
            audit=audit,
            details={"attempts": delivery.attempts},
        )
        delivery_id = delivery.pk
        transaction.on_commit(lambda: push_delivery.delay(delivery_id=delivery_id, manual=True))
    return delivery


# --- files --------------------------------------------------------------------------------------


def _files_dir(platform: Platform) -> Path:
    path = Path(settings.MEDIA_ROOT) / "platform" / platform.code
    path.mkdir(parents=True, exist_ok=True)
    return path


class _HashingWriter:
    """A text sink that encodes, hashes and writes what the csv writer gives it."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        self.digest.update(data)
        self.handle.write(data)
        return len(text)


def write_csv(path: Path, rows: Any) -> tuple[int, str]:
    """Write rows to ``path`` as they come; returns (rows, SHA-256)."""
    count = 0
    with path.open("wb") as handle:
        sink = _HashingWriter(handle)
        sink.write("\ufeff")  # Excel opens UTF-8 with a BOM as Chinese, not mojibake
        writer = csv.writer(sink, lineterminator="\r\n")
        writer.writerow(payloads.COLUMNS)
        for row in rows:
            writer.writerow([row[c] for c in payloads.COLUMNS])
            count += 1
    return count, sink.digest.hexdigest()


def write_xlsx(path: Path, rows: Any) -> tuple[int, str]:
    """Write rows to ``path`` with openpyxl's write-only workbook (rows go to a temporary
    file as they come; memory stays flat); returns (rows, SHA-256)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("白名单")
    sheet.append(list(payloads.COLUMNS))
    count = 0
    for row in rows:
        sheet.append([row[c] for c in payloads.COLUMNS])
        count += 1
    workbook.save(str(path))
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return count, digest.hexdigest()


def delivery_file_create(
    *,
    platform: Platform,
    product: LoanProduct,
    file_format: str = "csv",
    actor: Any = None,
    since: int | None = None,
    version: int | None = None,
) -> Delivery:
    """Write ``product``'s whitelist (the snapshot, or the delta since ``since``) as a batch
    file for ``platform`` with its manifest (name, rows, SHA-256). Never the plaintext ID:
    files carry the blind index and masked numbers only. The platform fetches it with its
    token (``files/<id>/``); the fetch marks it delivered."""
    _require_head_office(actor)
    if file_format not in ("csv", "xlsx"):
        raise DomainError({"file_format": "文件格式须为CSV或XLSX"})
    if not platform.products.filter(pk=product.pk).exists():
        raise DomainError({"product": f"{platform.name}未开通{product.name}"})
    latest = payloads.latest_version(product.pk) if version is None else None
    number = version if version is not None else (latest.number if latest else None)
    if number is None:
        raise DomainError({"product": f"{product.name}尚无白名单"})
    stamp = timezone.localtime().strftime("%Y%m%d%H%M%S")
    suffix = f"d{since}-{number}" if since is not None else f"v{number}"
    name = f"{platform.code}_{product.code}_{suffix}_{stamp}.{file_format}"
    path = _files_dir(platform) / name
    counts: dict[str, int] = {}
    if since is not None:
        delta, counts = payloads.delta_rows(product.pk, since, number)
        rows: Any = iter(delta)
    else:
        rows = payloads.snapshot_rows(product.pk, number)
    writer = write_csv if file_format == "csv" else write_xlsx
    count, digest = writer(path, rows)
    manifest = {
        "platform": platform.code,
        "product": product.code,
        "version": number,
        "since": since,
        "format": file_format,
        "file": name,
        "rows": count,
        "sha256": digest,
        "columns": list(payloads.COLUMNS),
        "generated_at": timezone.now().isoformat(),
    }
    (path.parent / f"{name}.manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    delivery = Delivery.objects.create(
        platform=platform,
        product=product,
        kind=DeliveryKind.FILE,
        file_format=file_format,
        version=number,
        since_version=since,
        rows=count,
        added=counts.get("added", 0),
        changed=counts.get("changed", 0),
        removed=counts.get("removed", 0),
        checksum=digest,
        idempotency_key=uuid.uuid4().hex,
        file_path=str(path),
        manifest=manifest,
        created_by=actor,
    )
    audit_record(
        action=AuditAction.PLATFORM_DELIVERY,
        actor=actor,
        target=delivery,
        target_label=str(delivery),
        details={"kind": "file", "format": file_format, "rows": count, "sha256": digest},
    )
    return delivery


def delivery_file_fetched(delivery: Delivery) -> None:
    """The platform downloaded the file: one more attempt, delivered."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        delivery.attempts += 1
        DeliveryAttempt.objects.create(delivery=delivery, number=delivery.attempts, status_code=200)
        if delivery.status != DeliveryStatus.DELIVERED:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = timezone.now()
        delivery.last_status_code = 200
        delivery.save()
        audit_record(
            action=AuditAction.PLATFORM_DELIVERY,
            target=delivery,
            target_label=str(delivery),
            details={"kind": "file_fetch", "sha256": delivery.checksum},
        )


# --- pull -------------------------------------------------------------------------------------


def pull_recorded(
    *,
    platform: Platform,
    product: LoanProduct,
    version: int,
    since: int | None,
    rows: int,
    page_sha256: str,
    last_page: bool,
    first_page: bool,
) -> Delivery:
    """Record a page the platform pulled: one delivery per (platform, product, version,
    since) pull, its rows counted from the first page, its checksum chained over the pages'
    SHA-256, delivered when the last page was served."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .filter(
                platform=platform,
                product=product,
                kind=DeliveryKind.PULL,
                version=version,
                since_version=since,
            )
            .order_by("-id")
            .first()
        )
        if delivery is None or first_page:
            delivery = Delivery.objects.create(
                platform=platform,
                product=product,
                kind=DeliveryKind.PULL,
                version=version,
                since_version=since,
                idempotency_key=uuid.uuid4().hex,
            )
        delivery.attempts += 1
        delivery.rows += rows
        delivery.checksum = hashlib.sha256((delivery.checksum + page_sha256).encode()).hexdigest()
        delivery.last_status_code = 200
        if last_page and delivery.status != DeliveryStatus.DELIVERED:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = timezone.now()
            audit_record(
                action=AuditAction.PLATFORM_DELIVERY,
                target=delivery,
                target_label=str(delivery),
                details={"kind": "pull", "rows": delivery.rows, "pages": delivery.attempts},
            )
        delivery.save()
    return delivery
