"""Starting a rating run: scope, permission, the as-of bounds, one chunk per village."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from fuxiang.accounts import roles
from fuxiang.accounts.models import Role, User
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, PermissionDenied
from households.models import (
    BusinessEntity,
    Grid,
    Household,
    HouseholdStatus,
    Township,
    Village,
)
from households.selectors import villages_visible_to
from rating import hooks
from rating.models import (
    ACTIVE_RUN_STATUSES,
    RatingChunk,
    RatingRun,
    RunScope,
    RunStatus,
    Scorecard,
    ScorecardStatus,
    SubjectKind,
)
from rating.runs.chunks import enqueue_chunks
from rating.selectors import scorecard_active

EMPTY_SCOPE = "范围内没有已建档的农户或经营主体"
BUSY = "已有评级任务正在进行，请待其完成后再发起"
BUSY_SIMULATION = "已有模拟测算正在进行，请待其完成后再发起"


# --- starting a run ---------------------------------------------------------------------------


@transaction.atomic
def rating_run_start(
    *,
    actor: User | None,
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
    return run_create(
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
    actor: User | None,
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
        raise PermissionDenied("只有总行和支行行长可以进行模拟测算")
    unapproved = [c for c in (cards or {}).values() if c.status not in (ScorecardStatus.APPROVED,)]
    if unapproved and not roles.can_approve_policy(actor):
        raise PermissionDenied({"cards": "只有总行可以用未批准的评分卡进行模拟测算"})
    for kind, card in (cards or {}).items():
        if card.kind != kind:
            raise DomainError(
                {"cards": f"评分卡“{card.version}”不是{SubjectKind(kind).label}评分卡"}
            )
    return run_create(
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


def run_create(
    *,
    actor: User | None,
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
        hooks.run_start_checks(run)  # credit: a policy in force on the date
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
        transaction.on_commit(lambda: enqueue_chunks(chunk_ids))
    return run


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


def _check_may_start(actor: User | None, scope: str, villages: QuerySet[Village]) -> None:
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
        raise PermissionDenied("只能对本支行的网格和村发起评级")
    raise PermissionDenied(
        "只有总行可以对全县或乡镇发起评级，支行行长可以对本支行的网格和村发起评级"
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
