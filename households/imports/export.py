"""Exporting the archive list to .xlsx in the import template's layout (one row per person), so
an unmasked export can be corrected and imported again. Masked unless the user may reveal
personal data and asks for it; written by a Celery worker (``ExportJob``) with progress; every
export is audited; the file is for the requester only and is purged after the retention."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from django.core.files import File
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from fuxiang import crypto
from fuxiang.accounts import roles
from fuxiang.accounts.models import User
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import PermissionDenied
from fuxiang.masking import mask_name
from households import selectors, services
from households.imports.columns import COLUMNS, Column, write_rows
from households.imports.common import claim_job
from households.imports.jobs import STALE_AFTER
from households.models import ExportJob, Household, ImportKind, ImportStatus, Member, Relation
from households.tasks import run_export_job as run_export_job_task


def _cell(
    household: Household, member: Member, column: Column, head_id: str, unmasked: bool
) -> Any:
    field = column.field
    if column.level == "household" and member.relation != Relation.HEAD:
        return ""  # household columns are filled on the head's row only
    if field == "household_key":
        return head_id
    if field == "name":
        return member.name if unmasked else mask_name(member.name)
    if field == "id_number":
        if unmasked:
            return crypto.decrypt(member.id_number_encrypted, column=services.ID_COLUMN)
        return member.id_number_masked
    if field == "phone":
        if not member.phone_encrypted:
            return ""
        if unmasked:
            return crypto.decrypt(member.phone_encrypted, column=services.PHONE_COLUMN)
        return member.phone_masked
    if field == "village_code":
        return household.village.code
    if field == "township_name":
        return household.village.township.name
    if field == "village_name":
        return household.village.name
    if field == "village_group_name":
        return household.village_group.name if household.village_group else ""
    source: Any = (
        member if hasattr(Member, field) and field not in Household.__dict__ else household
    )
    if member.relation != Relation.HEAD and source is household:
        return ""  # household columns are filled on the head's row only
    value = getattr(source, field)
    display = getattr(source, f"get_{field}_display", None)
    if display is not None:
        return str(display())
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return value
    return value


def export_rows(
    households: QuerySet[Household],
    *,
    unmasked: bool,
    progress: Callable[[int], None] | None = None,
) -> Iterator[list[Any]]:
    """One row per person, in the import template's columns; ``progress(households_done)``
    every 500 households."""
    columns = COLUMNS[ImportKind.HOUSEHOLDS]
    members = Prefetch("members", queryset=Member.objects.order_by("relation", "id"))
    queryset = households.select_related("village__township", "village_group").prefetch_related(
        members
    )
    for done, household in enumerate(queryset.iterator(chunk_size=1000), start=1):
        if progress and done % 500 == 0:
            progress(done)
        people = sorted(household.members.all(), key=lambda m: (m.relation != Relation.HEAD, m.pk))
        head = people[0] if people and people[0].relation == Relation.HEAD else None
        if head is None:
            continue
        head_id = (
            crypto.decrypt(head.id_number_encrypted, column=services.ID_COLUMN)
            if unmasked
            else head.id_number_masked
        )
        for member in people:
            yield [_cell(household, member, c, head_id, unmasked) for c in columns]


FILTER_KEYS = ("name", "id_suffix", "village_id", "status")
logger = logging.getLogger(__name__)
FAILED_MESSAGE = "导出时发生系统错误，请稍后重试"


@transaction.atomic
def export_job_start(
    *,
    actor: User,
    filters: dict[str, Any],
    unmasked: bool,
    audit: AuditContext | None = None,
) -> ExportJob:
    """Queue an export of the archive list as the actor sees it, filtered; masked unless
    ``unmasked`` and the actor may reveal personal data."""

    if unmasked and not roles.can_reveal_personal_data(actor):
        raise PermissionDenied("您的角色只能导出脱敏数据")
    job = ExportJob.objects.create(
        requested_by=actor,
        filters={k: v for k, v in filters.items() if k in FILTER_KEYS and v},
        unmasked=unmasked,
    )
    transaction.on_commit(lambda: run_export_job_task.delay(job.pk))
    return job


def exports_visible_to(user: Any) -> QuerySet[ExportJob]:
    """An export file is for the person who asked for it."""
    return ExportJob.objects.filter(requested_by=user)


def export_job_run(*, job_id: int) -> None:
    """Write the file (flat memory: rows stream to a temporary file), then audit. A job that
    fails is marked so, with a message for the page."""
    if not claim_job(ExportJob, job_id, stale_after=STALE_AFTER, processed_households=0):
        return
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    actor = job.requested_by
    households = selectors.household_list(user=actor, **job.filters).order_by("village__code", "pk")
    total = households.count()
    ExportJob.objects.filter(pk=job_id).update(total_households=total)

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job_id).update(processed_households=done)

    try:
        written = _write(job, households, progress)
    except Exception:
        logger.exception("export job %s failed", job_id)
        ExportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED, finished_at=timezone.now(), error=FAILED_MESSAGE
        )
        raise
    job.rows = written
    job.total_households = job.processed_households = total
    job.status = ImportStatus.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=[
        "file", "rows", "total_households", "processed_households", "status", "finished_at",
    ])  # fmt: skip
    audit_record(
        action=AuditAction.EXPORT,
        actor=actor,
        target=job,
        target_label=f"农户档案 {total}户 {written}人",
        # the searched name is personal data: the log keeps only where and what status
        details={
            "households": total,
            "rows": written,
            "unmasked": job.unmasked,
            **{k: v for k, v in job.filters.items() if k in ("village_id", "status")},
        },
    )


def _write(job: ExportJob, households: QuerySet[Household], progress: Callable[[int], None]) -> int:
    """Stream the rows into a temporary file and store it on the job; returns rows written."""
    with tempfile.TemporaryFile() as spool:
        written = write_rows(
            ImportKind.HOUSEHOLDS,
            export_rows(households, unmasked=job.unmasked, progress=progress),
            spool,
        )
        spool.seek(0)
        stamp = timezone.localtime(job.created_at).strftime("%Y%m%d-%H%M")
        kind = "完整" if job.unmasked else "脱敏"
        job.file.save(f"农户档案-{kind}-{stamp}.xlsx", File(spool), save=False)
    return written
