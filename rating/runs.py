"""Rating runs (评级任务): start, chunks, publish, resume, re-rating households at once.

Life cycle of a run: *pending* (created with one chunk per village of its scope) → *running*
(a worker claimed a chunk) → *publishing* (the last chunk finished) → *published* (the current
ratings switched in one transaction). A run may instead end *failed* (a chunk gave up after its
retries, or the publish check found results missing) or *cancelled*; either way nothing of it
was ever current.

Guarantees:

- **No overlap.** At most one run is pending/running/publishing at any time (a partial unique
  constraint on ``RatingRun.lane``), whoever starts it and however they race.
- **Chunks are idempotent.** A worker claims a chunk with one conditional ``UPDATE`` (pending,
  failed, or running with a claim older than ``RATING_CHUNK_STALE_SECONDS``) and a claim tag of
  its own; it writes the chunk's results in one transaction, deleting any earlier results of
  that chunk first, and only while it still holds the claim. Running a chunk twice leaves the
  same rows, never duplicates (also a unique constraint per run and subject).
- **The last chunk is detected once**: a conditional ``UPDATE`` of the run from running to
  publishing where ``chunks_done = chunks_total``; only the worker whose update matched queues
  the publish.
- **Atomic publish.** Publishing checks that every chunk is done and every counted subject has
  a result, switches ``CurrentRating`` for the whole scope, records counts, runs the publish
  hooks (credit) and audits, all in one transaction. Before it commits, everyone sees the
  previous ratings.
- **A real run's date is bounded** (checked before anything of it is created): today, or at
  most ``RATING_AS_OF_MAX_DAYS_BACK`` days back; never in the future; never before the as-of
  date of a published run that rated any village of its scope (so no rating in force moves
  back in time); and only on a date with an approved credit policy in force (credit's start
  check). Other dates are for what-ifs, which are not bounded.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from fuxiang import pgsettings
from fuxiang.accounts import roles
from fuxiang.accounts.models import Role
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError
from households.models import (
    BusinessEntity,
    Grid,
    Household,
    HouseholdStatus,
    Township,
    Village,
)
from households.selectors import households_visible_to, villages_visible_to
from rating import batch, publish
from rating.models import (
    ACTIVE_RUN_STATUSES,
    ChunkStatus,
    CurrentRating,
    RatingChunk,
    RatingRun,
    RunScope,
    RunStatus,
    Scorecard,
    ScorecardStatus,
    SubjectKind,
)
from rating.results_sql import (
    SwitchMismatch,
    current_ratings_switch,
    results_counts,
    results_delete,
    results_summary,
)
from rating.selectors import scorecard_active

EMPTY_SCOPE = "范围内没有已建档的农户或经营主体"
BUSY = "已有评级任务正在进行，请待其完成后再发起"
BUSY_SIMULATION = "已有模拟测算正在进行，请待其完成后再发起"


def stale_after() -> timedelta:
    """How long a chunk may stay claimed before another worker may take it over."""
    return timedelta(seconds=getattr(settings, "RATING_CHUNK_STALE_SECONDS", 600))


class ChunkOutcome(StrEnum):
    DONE = "done"  # rated and written
    LAST = "last"  # rated and written, and it was the run's last chunk
    BUSY = "busy"  # another worker holds a fresh claim: try again after the stale timeout
    SKIPPED = "skipped"  # already done, or the run is no longer active
    LOST = "lost"  # the claim was taken over while this worker was rating; nothing written


# --- starting a run ---------------------------------------------------------------------------


@transaction.atomic
def rating_run_start(
    *,
    actor: Any,
    scope: str,
    as_of: date,
    scope_ids: Sequence[int] = (),
    subject_ids: Sequence[int] | None = None,
    entity_ids: Sequence[int] | None = None,
    dispatch: bool = True,
    today: date | None = None,
) -> RatingRun:
    """Start a run over ``scope`` (county; townships, grids or villages by ``scope_ids``; or
    ``subjects``: households ``subject_ids`` and entities ``entity_ids``) with the cards in
    force, one chunk per village. With ``dispatch`` the chunks are queued to Celery when the
    transaction commits (one task per chunk, so workers share the run).

    Head office may rate anything; a branch manager their branch's grids and villages;
    ``actor=None`` is the system (the ``rate`` command, archive-change re-rating). Refused:
    another run active, no approved card, an empty scope, an ``as_of`` out of bounds (see
    the module's guarantees; ``DomainError`` keyed ``as_of``). ``today`` is the clock: the
    local date unless a test sets it."""
    return _run_create(
        actor=actor,
        scope=scope,
        as_of=as_of,
        scope_ids=scope_ids,
        subject_ids=subject_ids,
        entity_ids=entity_ids,
        dispatch=dispatch,
        check_permission=True,
        today=today,
    )


def rating_simulation_start(
    *,
    actor: Any,
    scope: str,
    as_of: date,
    scope_ids: Sequence[int] = (),
    cards: dict[str, Scorecard] | None = None,
    dispatch: bool = True,
) -> RatingRun:
    """Start a what-if run (模拟测算) over ``scope`` with ``cards`` per subject kind (the cards
    in force for kinds not named). It rates like a run and is never published. Head office may
    simulate any scope with any card, drafts included; a branch manager only their branch's
    grids and villages with approved cards."""
    if not roles.can_simulate(actor):
        raise DomainError("只有总行和支行行长可以进行模拟测算", code="permission_denied")
    unapproved = [c for c in (cards or {}).values() if c.status not in (ScorecardStatus.APPROVED,)]
    if unapproved and not roles.can_approve_policy(actor):
        raise DomainError(
            {"cards": "只有总行可以用未批准的评分卡进行模拟测算"}, code="permission_denied"
        )
    for kind, card in (cards or {}).items():
        if card.kind != kind:
            raise DomainError(
                {"cards": f"评分卡“{card.version}”不是{SubjectKind(kind).label}评分卡"}
            )
    return _run_create(
        actor=actor,
        scope=scope,
        as_of=as_of,
        scope_ids=scope_ids,
        subject_ids=None,
        entity_ids=None,
        dispatch=dispatch,
        check_permission=True,
        purpose="模拟测算",
        cards=cards,
        simulation=True,
    )


def _run_create(
    *,
    actor: Any,
    scope: str,
    as_of: date,
    scope_ids: Sequence[int],
    subject_ids: Sequence[int] | None,
    entity_ids: Sequence[int] | None,
    dispatch: bool,
    check_permission: bool,
    purpose: str = "",
    withdrawals_only_ok: bool = False,
    cards: dict[str, Scorecard] | None = None,
    simulation: bool = False,
    today: date | None = None,
) -> RatingRun:
    """``purpose`` prefixes the run's scope label (why the system started it);
    ``withdrawals_only_ok`` lets a subjects run hold only closed households (it withdraws
    their current ratings)."""
    if scope not in RunScope.values:
        raise DomainError({"scope": f"评级范围“{scope}”无效"})
    villages = _scope_villages(scope, scope_ids, subject_ids, entity_ids)
    if check_permission:
        _check_may_start(actor, scope, villages)
    chosen: dict[str, Scorecard | None] = {k: scorecard_active(k) for k in SubjectKind.values}
    chosen.update(cards or {})
    for kind, card in chosen.items():
        if card is None:
            label = SubjectKind(kind).label
            raise DomainError(f"没有已批准的{label}评分卡，不能发起评级", code="no_card")
    today = today or timezone.localdate()
    if not simulation:
        _check_as_of(as_of, today, villages)
    # What-ifs have a lane of their own: one at a time, never blocking a real run or a
    # re-rating (nor blocked by them).
    lane = "simulation" if simulation else "rating"
    if RatingRun.objects.filter(lane=lane, status__in=ACTIVE_RUN_STATUSES).exists():
        raise DomainError(BUSY_SIMULATION if simulation else BUSY, code="busy")
    chunk_villages = _villages_with_subjects(
        villages, scope, subject_ids, entity_ids, withdrawals_only_ok=withdrawals_only_ok
    )
    if not chunk_villages:
        raise DomainError(EMPTY_SCOPE, code="empty_scope")
    scope_label = _scope_label(scope, scope_ids, subject_ids, entity_ids)
    run = RatingRun(
        scope=scope,
        scope_ids=sorted(set(scope_ids)),
        household_ids=sorted(set(subject_ids or ())),
        entity_ids=sorted(set(entity_ids or ())),
        scope_label=(f"{purpose}：{scope_label}" if purpose else scope_label)[:200],
        household_card=chosen[SubjectKind.HOUSEHOLD],
        enterprise_card=chosen[SubjectKind.ENTERPRISE],
        agricultural_card=chosen[SubjectKind.AGRICULTURAL],
        as_of=as_of,
        started_by=actor if getattr(actor, "is_authenticated", False) else None,
        chunks_total=len(chunk_villages),
        simulation=simulation,
        lane=lane,
    )
    if not simulation:
        publish.run_start_checks(run)  # credit: a policy in force on the date
    try:
        with transaction.atomic():
            run.save(force_insert=True)
    except IntegrityError as exc:  # a concurrent start won the lane
        raise DomainError(BUSY_SIMULATION if simulation else BUSY, code="busy") from exc
    if not simulation:
        # Again, now that the lane is ours: a run that published between the first check and
        # the insert (which waited for it) counts too. Raising rolls the insert back.
        _check_as_of(as_of, today, villages)
    chunks = RatingChunk.objects.bulk_create(
        [RatingChunk(run=run, village_id=v) for v in chunk_villages]
    )
    audit_record(
        action=AuditAction.RATING_RUN_START,
        actor=actor,
        target=run,
        target_label=str(run),
        details={
            "scope": scope,
            "scope_label": run.scope_label,
            "as_of": as_of.isoformat(),
            "chunks": len(chunks),
            "cards": {kind: card.version for kind, card in chosen.items() if card is not None},
            **({"purpose": purpose} if purpose else {}),
            **({"simulation": True} if simulation else {}),
        },
    )
    if dispatch:
        chunk_ids = [c.pk for c in chunks]
        transaction.on_commit(lambda: _queue_chunks(chunk_ids))
    return run


def _queue_chunks(chunk_ids: Sequence[int]) -> None:
    from rating import tasks

    for chunk_id in chunk_ids:
        tasks.rate_chunk.delay(chunk_id)


def _scope_villages(
    scope: str,
    scope_ids: Sequence[int],
    subject_ids: Sequence[int] | None,
    entity_ids: Sequence[int] | None,
) -> QuerySet[Village]:
    villages = Village.objects.all()
    if scope == RunScope.COUNTY:
        return villages
    if scope == RunScope.SUBJECTS:
        if not subject_ids and not entity_ids:
            raise DomainError(EMPTY_SCOPE, code="empty_scope")
        return villages.filter(
            Q(pk__in=Household.objects.filter(pk__in=subject_ids or ()).values("village_id"))
            | Q(pk__in=BusinessEntity.objects.filter(pk__in=entity_ids or ()).values("village_id"))
        )
    if not scope_ids:
        raise DomainError({"scope_ids": "请选择评级范围"})
    field = {RunScope.TOWNSHIP: "township_id", RunScope.GRID: "grid_id", RunScope.VILLAGE: "pk"}
    return villages.filter(**{f"{field[RunScope(scope)]}__in": list(scope_ids)})


def _villages_with_subjects(
    villages: QuerySet[Village],
    scope: str,
    subject_ids: Sequence[int] | None,
    entity_ids: Sequence[int] | None,
    *,
    withdrawals_only_ok: bool = False,
) -> list[int]:
    """The villages to chunk: every village of the scope holding a household (closed ones
    too, so that their current ratings are withdrawn at publish) or an entity. Empty when the
    scope holds no archived (not closed) household and no entity — unless
    ``withdrawals_only_ok``, when closed households are enough."""
    households = Household.objects.filter(village__in=villages)
    entities = BusinessEntity.objects.filter(village__in=villages)
    if scope == RunScope.SUBJECTS:
        households = households.filter(pk__in=subject_ids or ())
        entities = entities.filter(pk__in=entity_ids or ())
    archived = (
        households if withdrawals_only_ok else households.exclude(status=HouseholdStatus.CLOSED)
    )
    if not (archived.exists() or entities.exists()):
        return []
    found = set(households.order_by().values_list("village_id", flat=True).distinct())
    found |= set(entities.order_by().values_list("village_id", flat=True).distinct())
    return sorted(found)


def as_of_window() -> int:
    """How many days back a real run may be dated (``RATING_AS_OF_MAX_DAYS_BACK``)."""
    return max(0, getattr(settings, "RATING_AS_OF_MAX_DAYS_BACK", 7))


def _check_as_of(as_of: date, today: date, villages: QuerySet[Village]) -> None:
    """A real run rates as of today or a few days back, never the future, and never before a
    published run over any of its villages: every rating in force moves forward in time."""
    simulate = "其他日期只能用于模拟测算"
    if as_of > today:
        raise DomainError(
            {
                "as_of": f"评级基准日{as_of:%Y-%m-%d}晚于今天（{today:%Y-%m-%d}）：正式评级不能"
                f"预先评级，{simulate}"
            },
            code="as_of",
        )
    earliest = today - timedelta(days=as_of_window())
    if as_of < earliest:
        raise DomainError(
            {
                "as_of": f"评级基准日{as_of:%Y-%m-%d}早于{earliest:%Y-%m-%d}：正式评级的基准日只能"
                f"是今天或此前{as_of_window()}天内，{simulate}"
            },
            code="as_of",
        )
    later = (
        RatingRun.objects.filter(
            status=RunStatus.PUBLISHED,
            as_of__gt=as_of,
            pk__in=RatingChunk.objects.filter(village__in=villages).values("run_id"),
        )
        .order_by("-as_of", "-pk")
        .first()
    )
    if later is not None:
        raise DomainError(
            {
                "as_of": f"评级基准日{as_of:%Y-%m-%d}早于该范围内已发布的评级任务#{later.pk}的"
                f"基准日（{later.as_of:%Y-%m-%d}）：正式评级不能让已生效的评级倒退到更早的日期，"
                f"{simulate}"
            },
            code="as_of",
        )


def _check_may_start(actor: Any, scope: str, villages: QuerySet[Village]) -> None:
    if actor is None or roles.can_approve_policy(actor):
        return  # the system, or head office
    if getattr(actor, "role", None) == Role.BRANCH_MANAGER and scope in (
        RunScope.GRID,
        RunScope.VILLAGE,
        RunScope.SUBJECTS,
    ):
        outside = villages.exclude(pk__in=villages_visible_to(actor).values("pk"))
        if not outside.exists():
            return
        raise DomainError("只能对本支行的网格和村发起评级", code="permission_denied")
    raise DomainError(
        "只有总行可以对全县或乡镇发起评级，支行行长可以对本支行的网格和村发起评级",
        code="permission_denied",
    )


def _scope_label(
    scope: str,
    scope_ids: Sequence[int],
    subject_ids: Sequence[int] | None,
    entity_ids: Sequence[int] | None,
) -> str:
    if scope == RunScope.COUNTY:
        return "全县"
    if scope == RunScope.SUBJECTS:
        return f"指定对象（农户{len(subject_ids or ())}户，经营主体{len(entity_ids or ())}个）"
    model = {RunScope.TOWNSHIP: Township, RunScope.GRID: Grid, RunScope.VILLAGE: Village}[
        RunScope(scope)
    ]
    names = list(model._default_manager.filter(pk__in=scope_ids).values_list("name", flat=True)[:5])
    more = "等" if len(scope_ids) > len(names) else ""
    return ("、".join(names) + more)[:200]


# --- one chunk --------------------------------------------------------------------------------


def rating_chunk_run(*, chunk_id: int, queue_publish: bool = True) -> ChunkOutcome:
    """Claim one chunk (a village of a run), rate its subjects and write the results.

    Safe to call any number of times, concurrently or after a crash: see the module's
    guarantees. When this chunk completes the run, the run moves to publishing and (with
    ``queue_publish``) the publish task is queued after commit. An exception marks the chunk
    failed (claimable again by the retry) and propagates."""
    now = timezone.now()
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    claimable = (
        Q(status=ChunkStatus.PENDING)
        | Q(status=ChunkStatus.FAILED)
        | Q(status=ChunkStatus.RUNNING, claimed_at__lt=now - stale_after())
    )
    claimed = RatingChunk.objects.filter(
        claimable,
        pk=chunk_id,
        run__status__in=(RunStatus.PENDING, RunStatus.RUNNING),
    ).update(
        status=ChunkStatus.RUNNING,
        claim=token,
        claimed_at=now,
        attempts=F("attempts") + 1,
        error="",
    )
    if not claimed:
        busy = RatingChunk.objects.filter(
            pk=chunk_id,
            status=ChunkStatus.RUNNING,
            run__status__in=(RunStatus.PENDING, RunStatus.RUNNING),
        ).exists()
        return ChunkOutcome.BUSY if busy else ChunkOutcome.SKIPPED
    chunk = RatingChunk.objects.select_related("run").get(pk=chunk_id)
    run = chunk.run
    RatingRun.objects.filter(pk=run.pk, status=RunStatus.PENDING).update(
        status=RunStatus.RUNNING, started_at=now
    )
    try:
        return _rate_claimed_chunk(chunk, run, token, queue_publish=queue_publish)
    except Exception as exc:
        RatingChunk.objects.filter(pk=chunk_id, claim=token, status=ChunkStatus.RUNNING).update(
            status=ChunkStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:500]
        )
        raise


def _rate_claimed_chunk(
    chunk: RatingChunk, run: RatingRun, token: str, *, queue_publish: bool
) -> ChunkOutcome:
    started = time.perf_counter()
    fast_commit = not connection.in_atomic_block
    with transaction.atomic():
        _chunk_transaction_settings(fast_commit=fast_commit)
        held = (
            RatingChunk.objects.select_for_update()
            .filter(pk=chunk.pk, claim=token, status=ChunkStatus.RUNNING)
            .exists()
        )
        if not held:
            return ChunkOutcome.LOST
        results_delete(run_id=run.pk, village_id=chunk.village_id)
        subjects, skipped = batch.village_rate(run, chunk.village_id)
        publish.run_chunk_steps(run, chunk.village_id)
        RatingChunk.objects.filter(pk=chunk.pk).update(
            status=ChunkStatus.DONE,
            subjects=subjects,
            skipped=skipped,
            counts=results_counts(run.pk, chunk.village_id),
            seconds=time.perf_counter() - started,
        )
        last = _count_chunk_done(run.pk)
        if last and queue_publish:
            run_id = run.pk
            transaction.on_commit(lambda: _queue_publish(run_id))
        if not fast_commit:
            pgsettings.restore_local()
    return ChunkOutcome.LAST if last else ChunkOutcome.DONE


def _count_chunk_done(run_id: int) -> bool:
    """One more chunk of the run is done; when it is the last, the run moves to publishing
    (every chunk's transaction ends with this, holding the run's row only from here to its
    commit). Returns whether this chunk completed the run."""
    table = RatingRun._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET chunks_done = chunks_done + 1, "  # noqa: S608
            "status = CASE WHEN status = %s AND chunks_done + 1 = chunks_total "
            "THEN %s ELSE status END, "
            "finished_at = CASE WHEN status = %s AND chunks_done + 1 = chunks_total "
            "THEN %s ELSE finished_at END "
            "WHERE id = %s",
            [RunStatus.RUNNING, RunStatus.PUBLISHING, RunStatus.RUNNING, timezone.now(), run_id],
        )
        cursor.execute(
            f"SELECT status, chunks_done, chunks_total FROM {table} WHERE id = %s",  # noqa: S608
            [run_id],
        )
        status, done, total = cursor.fetchone()
    return status == RunStatus.PUBLISHING and done == total


def _chunk_transaction_settings(*, fast_commit: bool) -> None:
    """Settings of a chunk's transaction (PostgreSQL; ``SET LOCAL``: they end with it, or,
    inside a caller's transaction, are given back by ``fuxiang.pgsettings.restore_local``).

    - ``synchronous_commit = off`` (only when this is the chunk's own transaction: inside a
      caller's, a one-household re-rating that publishes in the same transaction, it would
      cover the publish too): the commit need not wait for its WAL to reach the disk. Should
      the server crash in the few milliseconds before the flush, the chunk's results *and*
      its "done" mark are lost together, so the chunk is simply rated again (stale claim, or
      ``rate --resume``). The publish keeps the server's setting: a published run is durable.
    - ``jit = off``: compiling a village's statements would cost more than running them."""
    values = {"jit": "off"}
    if fast_commit:
        values["synchronous_commit"] = "off"
    with connection.cursor() as cursor:
        pgsettings.set_local(cursor, **values)


def _queue_publish(run_id: int) -> None:
    from rating import tasks

    tasks.publish_run.delay(run_id)


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
    publish.run_steps(run)
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


def rating_run_cancel(*, actor: Any, run: RatingRun) -> RatingRun:
    """Cancel a pending or running run: chunks not yet claimed are never rated, nothing is
    published. A run already publishing cannot be cancelled."""
    if not (roles.can_approve_policy(actor) or getattr(actor, "pk", None) == run.started_by_id):
        raise DomainError("只有发起人或总行可以取消评级任务", code="permission_denied")
    with transaction.atomic():
        run = RatingRun.objects.select_for_update().get(pk=run.pk)
        if run.status not in (RunStatus.PENDING, RunStatus.RUNNING):
            raise DomainError(f"评级任务当前状态为“{run.get_status_display()}”，不能取消")
        _fail(run, "已取消", status=RunStatus.CANCELLED, actor=actor)
    return run


def _fail(
    run: RatingRun, reason: str, *, status: str = RunStatus.FAILED, actor: Any = None
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
        _queue_publish(run.pk)
        return 1
    if run.status not in (RunStatus.PENDING, RunStatus.RUNNING):
        return 0
    chunk_ids = list(
        RatingChunk.objects.filter(run=run)
        .exclude(status=ChunkStatus.DONE)
        .values_list("pk", flat=True)
    )
    _queue_chunks(chunk_ids)
    return len(chunk_ids)


# --- one household ----------------------------------------------------------------------------


@transaction.atomic
def rating_household_rerate(
    *,
    household: Household,
    actor: Any = None,
    as_of: date | None = None,
    today: date | None = None,
) -> RatingRun:
    """Re-rate one household now (staff asked): a one-subject run, rated and published in this
    transaction, as of today unless ``as_of`` says otherwise (bounded as any real run's;
    ``today`` is the clock). ``actor=None`` is the system; staff may re-rate households they
    can see. Refused while another run is active."""
    if actor is not None and not households_visible_to(actor).filter(pk=household.pk).exists():
        raise DomainError("未找到该农户，或您无权访问", code="not_found")
    household = Household.objects.get(pk=household.pk)
    if household.status == HouseholdStatus.CLOSED:
        raise DomainError("该户已销户，不再评级")
    if not household.rating_consent:
        raise DomainError("该户未同意评级授信（个人信息授权），不能评级", code="no_consent")
    # Staff re-rate through this service only (officers cannot start runs): the scope check
    # above is the permission.
    return _rate_subjects_now(actor=actor, household_ids=[household.pk], as_of=as_of, today=today)


@transaction.atomic
def rating_households_rerate(
    *,
    household_ids: Sequence[int],
    purpose: str = "",
    as_of: date | None = None,
    entity_ids: Sequence[int] = (),
    today: date | None = None,
) -> RatingRun | None:
    """The system re-rates these households and business entities (their archives changed, or
    a villager asked) as ONE subjects run, rated and published in this transaction. Households
    closed or without consent are not rated and lose their current rating, if they had one.
    Returns ``None`` when there is nothing to do: none of them can be rated and none holds a
    rating. Refused (``DomainError`` code ``busy``) while another run is active: the caller
    tries again later."""
    households = Household.objects.filter(pk__in=sorted(set(household_ids)))
    entities = list(
        BusinessEntity.objects.filter(pk__in=sorted(set(entity_ids))).values_list("pk", flat=True)
    )
    ratable = households.exclude(status=HouseholdStatus.CLOSED).filter(rating_consent=True)
    if not (
        entities
        or ratable.exists()
        or CurrentRating.objects.filter(household__in=households).exists()
    ):
        return None
    return _rate_subjects_now(
        actor=None,
        household_ids=list(households.values_list("pk", flat=True)),
        entity_ids=entities,
        as_of=as_of,
        purpose=purpose,
        withdrawals_only_ok=True,
        today=today,
    )


def _rate_subjects_now(
    *,
    actor: Any,
    household_ids: Sequence[int],
    as_of: date | None,
    entity_ids: Sequence[int] = (),
    purpose: str = "",
    withdrawals_only_ok: bool = False,
    cards: dict[str, Scorecard] | None = None,
    simulation: bool = False,
    today: date | None = None,
) -> RatingRun:
    today = today or timezone.localdate()
    run = _run_create(
        actor=actor,
        scope=RunScope.SUBJECTS,
        as_of=as_of or today,
        scope_ids=(),
        subject_ids=household_ids,
        entity_ids=entity_ids,
        dispatch=False,
        check_permission=False,
        purpose=purpose,
        withdrawals_only_ok=withdrawals_only_ok,
        today=today,
    )
    for chunk_id in RatingChunk.objects.filter(run=run).values_list("pk", flat=True):
        rating_chunk_run(chunk_id=chunk_id, queue_publish=False)
    return rating_run_publish(run_id=run.pk)


def run_progress_line(run: RatingRun) -> str:
    """A one-line status for the command line."""
    return (
        f"评级任务#{run.pk} {run.get_status_display()} "
        f"{run.chunks_done}/{run.chunks_total}个村（{run.progress:.0%}）"
    )
