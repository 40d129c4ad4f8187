"""Publishing a finished run in one transaction; failing, cancelling and resuming runs."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from fuxiang import pgsettings
from fuxiang.accounts import roles
from fuxiang.accounts.models import User
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, PermissionDenied
from rating import hooks
from rating.models import (
    ACTIVE_RUN_STATUSES,
    ChunkStatus,
    RatingChunk,
    RatingRun,
    RunStatus,
)
from rating.results_sql import (
    SwitchMismatch,
    current_ratings_switch,
    results_counts,
    results_summary,
)
from rating.runs.chunks import enqueue_chunks, enqueue_publish

# --- publish, fail, cancel --------------------------------------------------------------------


@transaction.atomic
def rating_run_publish(*, run_id: int) -> RatingRun:
    """Publish a finished run in ONE transaction: check that every chunk is done and every
    counted subject has a result, switch the current ratings of the whole scope, record the
    counts, run the publish hooks and audit. A run that fails the check is marked failed and
    nothing is published. Publishing a published run again changes nothing."""
    run = _publish(run_id)
    pgsettings.restore_local()  # (an exception rolls them back with everything else)
    return run


def _publish(run_id: int) -> RatingRun:
    run = RatingRun.objects.select_for_update().get(pk=run_id)
    if run.status in (RunStatus.PUBLISHED, RunStatus.SIMULATED):
        return run
    if run.status != RunStatus.PUBLISHING:
        raise DomainError(f"评级任务当前状态为“{run.get_status_display()}”，不能发布")
    chunks = list(
        RatingChunk.objects.filter(run=run).values_list(
            "status", "subjects", "skipped", "counts", "village_id"
        )
    )
    undone = sum(1 for status, *_ in chunks if status != ChunkStatus.DONE)
    expected = sum(subjects for _, subjects, *_ in chunks)
    skipped = sum(n for _, _, n, *_ in chunks)
    # each chunk counted its results in the transaction that wrote them (one done by a worker
    # of an earlier release, without counts, is counted here)
    counts = [
        row
        for _, subjects, _, chunk_counts, village_id in chunks
        for row in (
            chunk_counts if chunk_counts or not subjects else results_counts(run.pk, village_id)
        )
    ]
    summary = results_summary(counts)
    problem = ""
    if undone:
        problem = f"有{undone}个分片未完成"
    elif summary["rated"] != expected:
        problem = f"评级结果{summary['rated']}条，应为{expected}条"
    if problem:
        _fail(run, f"发布前检查未通过：{problem}，未发布任何结果")
        return run
    if run.simulation:  # a what-if: counted, never made current, no publish steps
        run.status = RunStatus.SIMULATED
    else:
        try:
            with transaction.atomic():
                current_ratings_switch(run, summary["by_subject"])
        except SwitchMismatch as exc:
            _fail(run, f"发布前检查未通过：{exc}，未发布任何结果")
            return run
        run.status = RunStatus.PUBLISHED
    run.published_at = timezone.now()
    run.subjects = expected + skipped
    run.skipped = skipped
    run.rated = summary["rated"]
    run.knocked_out = summary["knocked_out"]
    run.incomplete = summary["incomplete"]
    run.grade_counts = summary["grade_counts"]
    run.save(
        update_fields=[
            "status",
            "published_at",
            "subjects",
            "skipped",
            "rated",
            "knocked_out",
            "incomplete",
            "grade_counts",
        ]
    )
    if run.simulation:
        return run
    hooks.run_steps(run)
    audit_record(
        action=AuditAction.RATING_PUBLISH,
        actor=run.started_by,
        target=run,
        target_label=str(run),
        details={
            "rated": run.rated,
            "skipped": run.skipped,
            "knocked_out": run.knocked_out,
            "incomplete": run.incomplete,
            "grades": run.grade_counts,
        },
    )
    return run


def rating_run_fail(*, run_id: int, reason: str) -> bool:
    """Mark an active run failed (a chunk gave up). Nothing of it becomes current; a new run may
    start. Returns whether the run was active."""
    with transaction.atomic():
        run = RatingRun.objects.select_for_update().get(pk=run_id)
        if run.status not in ACTIVE_RUN_STATUSES:
            return False
        _fail(run, reason)
        return True


def rating_run_cancel(*, actor: User | None, run: RatingRun) -> RatingRun:
    """Cancel a pending or running run: chunks not yet claimed are never rated, nothing is
    published. A run already publishing cannot be cancelled."""
    if not (roles.can_approve_policy(actor) or getattr(actor, "pk", None) == run.started_by_id):
        raise PermissionDenied("只有发起人或总行可以取消评级任务")
    with transaction.atomic():
        run = RatingRun.objects.select_for_update().get(pk=run.pk)
        if run.status not in (RunStatus.PENDING, RunStatus.RUNNING):
            raise DomainError(f"评级任务当前状态为“{run.get_status_display()}”，不能取消")
        _fail(run, "已取消", status=RunStatus.CANCELLED, actor=actor)
    return run


def _fail(
    run: RatingRun, reason: str, *, status: str = RunStatus.FAILED, actor: User | None = None
) -> None:
    run.status = status
    run.error = reason[:500]
    run.finished_at = run.finished_at or timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])
    audit_record(
        action=AuditAction.RATING_RUN_FAIL,
        actor=actor,
        target=run,
        target_label=str(run),
        details={"status": status, "reason": run.error},
    )


def rating_chunk_give_up(*, chunk_id: int, error: str) -> None:
    """A chunk exhausted its retries: the chunk and its run fail (nothing is published)."""
    chunk = RatingChunk.objects.filter(pk=chunk_id).first()
    if chunk is None:
        return
    RatingChunk.objects.filter(pk=chunk_id).exclude(status=ChunkStatus.DONE).update(
        status=ChunkStatus.FAILED, error=error[:500]
    )
    rating_run_fail(
        run_id=chunk.run_id, reason=f"分片（村{chunk.village_id}）多次重试失败：{error}"
    )


def rating_run_resume(*, run_id: int) -> int:
    """Queue again whatever an active run still needs — every chunk not done (a claim that is
    still fresh is left to its worker) and, for a run stuck in publishing, the publish — for
    when messages were lost (a broker restart). Safe to call any time; returns the number of
    tasks queued."""
    run = RatingRun.objects.get(pk=run_id)
    if run.status == RunStatus.PUBLISHING:
        enqueue_publish(run.pk)
        return 1
    if run.status not in (RunStatus.PENDING, RunStatus.RUNNING):
        return 0
    chunk_ids = list(
        RatingChunk.objects.filter(run=run)
        .exclude(status=ChunkStatus.DONE)
        .values_list("pk", flat=True)
    )
    enqueue_chunks(chunk_ids)
    return len(chunk_ids)
