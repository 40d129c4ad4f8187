"""Import jobs: an uploaded file stored as an ``ImportJob``, run on a Celery worker
(``import_job_run``) with its progress and report kept up to date; stale uploads purged."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fuxiang.accounts.models import User
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, PermissionDenied
from households import selectors
from households.imports.common import ImportResult, claim_job
from households.imports.files import import_file, write_report
from households.models import ExportJob, ImportJob, ImportKind, ImportStatus
from households.spreadsheets import SpreadsheetError
from households.tasks import run_import_job as run_import_job_task

logger = logging.getLogger(__name__)
REJECTED_KEPT_ON_JOB = 500


MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# A job still "running" after this long was left by a worker that died; it may be taken again
# (a redelivered task for a live job must not run beside it).
STALE_AFTER = timedelta(minutes=30)


@transaction.atomic
def import_job_start(
    *, actor: User | None, kind: str, upload: Any, dry_run: bool = False
) -> ImportJob:
    """Store an uploaded file as an ``ImportJob`` and queue it for a worker once committed.
    In development (eager Celery) it has finished by the time this returns."""

    if kind not in ImportKind.values:
        raise DomainError({"kind": "请选择导入类型"})
    if upload.size > MAX_UPLOAD_BYTES:
        raise DomainError({"file": "文件超过20MB，请按村拆分后分别导入"})
    if not selectors.villages_editable_by(actor).exists():
        raise PermissionDenied("您的角色不能导入档案")
    job = ImportJob(kind=kind, original_name=upload.name[:200], dry_run=dry_run, uploaded_by=actor)
    job.file.save(upload.name, upload, save=False)
    job.save()
    transaction.on_commit(lambda: run_import_job_task.delay(job.pk))
    return job


def _claim(job_id: int) -> ImportJob | None:
    """Take the job if it is new, or was left running by a worker that died (imports are
    idempotent, so running it again is safe), counting the attempt."""
    claimed = claim_job(
        ImportJob, job_id, stale_after=STALE_AFTER, processed_rows=0, attempts=F("attempts") + 1
    )
    return ImportJob.objects.select_related("uploaded_by").get(pk=job_id) if claimed else None


def import_job_run(*, job_id: int) -> None:
    """Run an uploaded import; updates progress, counts, rejected rows and the report. A job
    whose earlier runs all died with their worker (``IMPORT_MAX_ATTEMPTS``) is failed and its
    upload deleted instead of being run again: a poisoned file kills no more workers."""
    job = _claim(job_id)
    if job is None:
        return
    if job.attempts > settings.IMPORT_MAX_ATTEMPTS:
        logger.error("import job %s given up after %s interrupted runs", job_id, job.attempts - 1)
        _fail(
            job,
            f"导入已中断{job.attempts - 1}次（处理该文件时后台进程异常退出），已停止，不再重试；"
            "请检查文件后重新上传，或联系管理员",
        )
        _discard_upload(job)
        return

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(processed_rows=done, total_rows=total)

    try:
        with job.file.open("rb") as stored:
            result = import_file(
                stream=io.BytesIO(stored.read()),
                filename=job.original_name,
                kind=job.kind,
                actor=job.uploaded_by,
                dry_run=job.dry_run,
                job_id=job.pk,
                progress=progress,
            )
    except SpreadsheetError as problem:
        _fail(job, str(problem))
        _discard_upload(job)
        return
    except Exception:
        logger.exception("import job %s failed", job_id)
        _fail(job, "导入时发生系统错误，已导入的农户保持完整；请稍后重试或联系管理员")
        raise
    _finish(job, result)
    _discard_upload(job)


def _discard_upload(job: ImportJob) -> None:
    """The uploaded file holds plaintext IDs and phones: once imported it is deleted (the
    rejected rows live on in the report, for the uploader, until the retention ends)."""
    if job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")


def archive_files_purge(*, now: Any = None) -> int:
    """Delete import error reports and export files older than the retention
    (``ARCHIVE_FILE_RETENTION_DAYS``): both hold rows of personal data. Returns how many."""

    cutoff = (now or timezone.now()) - timedelta(days=settings.ARCHIVE_FILE_RETENTION_DAYS)
    purged = 0
    for job in ImportJob.objects.filter(finished_at__lt=cutoff).exclude(report=""):
        job.report.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(report="")
        purged += 1
    for export in ExportJob.objects.filter(finished_at__lt=cutoff).exclude(file=""):
        export.file.delete(save=False)
        ExportJob.objects.filter(pk=export.pk).update(file="")
        purged += 1
    return purged


def _fail(job: ImportJob, message: str) -> None:
    job.status = ImportStatus.FAILED
    job.error = message
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])


@transaction.atomic
def _finish(job: ImportJob, result: ImportResult) -> None:
    job.total_rows = job.processed_rows = result.total_rows
    job.created_count = result.created
    job.updated_count = result.updated
    job.unchanged_count = result.unchanged
    job.rejected_count = result.rejected_rows
    job.rejected = [
        {"row": e.row, "column": e.column, "message": e.message}
        for e in result.errors[:REJECTED_KEPT_ON_JOB]
    ]
    fields = [
        "total_rows",
        "processed_rows",
        "created_count",
        "updated_count",
        "unchanged_count",
        "rejected_count",
        "rejected",
        "status",
        "finished_at",
    ]
    if result.rejected:
        buffer = io.BytesIO()
        write_report(result, buffer)
        stem = job.original_name.rsplit(".", 1)[0]
        job.report.save(f"{stem}-错误报告.xlsx", ContentFile(buffer.getvalue()), save=False)
        fields.append("report")
    job.status = ImportStatus.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=fields)
    audit_record(
        action=AuditAction.IMPORT,
        actor=job.uploaded_by,
        target=job,
        target_label=job.original_name[:200],
        details={"import": result.summary(), "dry_run": job.dry_run},
    )
