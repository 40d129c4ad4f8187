"""The nightly events file from the platform (CSV or XLSX, its SHA-256 checked): each row
received and applied like a webhook event, with a row report; and the inbox task's reader."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

from django.conf import settings
from openpyxl import load_workbook

from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError
from loans.models import (
    InboundSource,
    InboundStatus,
    Platform,
    PlatformFileImport,
)
from loans.platform.inbound import EVENT_ID, Outcome, event_apply

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
