"""Refreshing the dashboards' summaries (the only writes of this app).

``figures_refresh`` recomputes, in one transaction and with set-based statements, every
household's stage (``HouseholdStage``: one INSERT … SELECT over the archives, current ratings,
current lines, visits, lookups and loans, writing only rows that changed), then each village's
figures from the stages and the event tables by GROUP BY (``VillageFigures``: today's rows
and this week's), and the officers' weekly work (``WeeklyActivity``). The pages read those
~250 rows, never the archives, and show the time of the refresh.

It runs from Celery beat every few minutes, and soon after a rating is published or a loan
event happens (``figures_refresh_soon``: at most one queued refresh per debounce window), and
from ``manage.py refresh_dashboards``. Refreshes never overlap: each takes a lock first.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from credit.models import CreditLine, LineStatus
from dashboards import loan_figures
from dashboards.engine import unrated_cutoff, week_start
from dashboards.models import HouseholdStage, Period, VillageFigures, WeeklyActivity
from dashboards.tasks import refresh_figures as refresh_figures_task
from households.models import Household, HouseholdStatus, Village, Visit
from qrlookup.events import events_flush
from qrlookup.models import (
    LookupEvent,
    LookupEventKind,
    OfficerRequest,
    RequestStatus,
    ScanEvent,
)
from rating.models import CurrentRating

Progress = Callable[[str, int, int], None]

# A lookup counts when a person proved who they are and saw their household's result.
LOOKUP_KINDS = (LookupEventKind.VERIFIED, LookupEventKind.WECHAT, LookupEventKind.RESULT)
VERIFIED_KINDS = (LookupEventKind.VERIFIED, LookupEventKind.WECHAT)
EXPOSED = (LineStatus.ACTIVE, LineStatus.SUSPENDED)
REFRESH_LOCK = 0x46584442  # "FXDB": the advisory lock every refresh takes
DEBOUNCE_KEY = "dashboards:refresh-queued"

STAGE_COLUMNS = (
    "village_id",
    "archived_at",
    "visits",
    "last_visit_at",
    "grade",
    "knocked_out",
    "line_status",
    "granted",
    "granted_amount",
    "online_eligible",
    "looked_up",
    "applied",
    "signed_amount",
    "drawn_amount",
    "balance",
    "online_balance",
)
STEPS = ("农户进度", "村汇总", "周工作量", "清理")


@dataclass
class RefreshResult:
    as_of: datetime
    households: int = 0
    villages: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def figures_refresh(
    *, now: datetime | None = None, progress: Progress | None = None
) -> RefreshResult:
    """Recompute every summary as of ``now`` (the clock by default). All or nothing; a
    refresh started while another runs waits for it, then computes afresh."""
    now = now or timezone.now()
    events_flush()  # the lookup's buffered scans and events first: counted up to the moment
    result = RefreshResult(as_of=now)
    steps: list[tuple[str, Callable[[], Any]]] = [
        (STEPS[0], lambda: setattr(result, "households", stages_write())),
        (STEPS[1], lambda: setattr(result, "villages", village_figures_write(now=now))),
        (STEPS[2], lambda: weekly_activity_write(now=now)),
        (STEPS[3], lambda: day_rows_prune(today=timezone.localdate(now))),
    ]
    with transaction.atomic():
        _lock()
        for done, (label, step) in enumerate(steps):
            if progress:
                progress(label, done, len(steps))
            started = time.perf_counter()
            step()
            result.seconds[label] = time.perf_counter() - started
        if progress:
            progress("完成", len(steps), len(steps))
    return result


def figures_refresh_soon() -> None:
    """Queue one refresh after the current transaction commits, at most one per debounce
    window (``DASHBOARDS_REFRESH_DEBOUNCE_SECONDS``): a county publish or a burst of loan
    events costs one refresh, a minute later, seeing all of them. Never raises into the
    caller's transaction (a rating publish)."""
    window = settings.DASHBOARDS_REFRESH_DEBOUNCE_SECONDS
    if window > 0 and not cache.add(DEBOUNCE_KEY, 1, timeout=window):
        return  # one is already queued for this window
    transaction.on_commit(lambda: refresh_figures_task.apply_async(countdown=window), robust=True)


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])
    # elsewhere (SQLite) writers are serialised by the database itself


# --- households' stages -------------------------------------------------------------------


def _stage_select() -> tuple[str, list[Any]]:
    """The SELECT of every household's stage (not closed), with its parameters."""
    household = Household._meta.db_table
    visit = Visit._meta.db_table
    current = CurrentRating._meta.db_table
    line = CreditLine._meta.db_table
    event = LookupEvent._meta.db_table
    exposed = ", ".join(["%s"] * len(EXPOSED))
    kinds = ", ".join(["%s"] * len(LOOKUP_KINDS))
    params: list[Any] = [*EXPOSED, *EXPOSED, LineStatus.ACTIVE]
    columns = {
        "village_id": "h.village_id",
        "archived_at": "h.created_at",
        "visits": "COALESCE(vs.n, 0)",
        "last_visit_at": "vs.last_at",
        "grade": "COALESCE(cr.grade, '')",
        "knocked_out": "COALESCE(cr.knocked_out, FALSE)",
        "line_status": "COALESCE(cl.status, '')",
        "granted": f"(cl.status IS NOT NULL AND cl.status IN ({exposed}))",
        "granted_amount": f"CASE WHEN cl.status IN ({exposed}) THEN cl.amount ELSE 0 END",
        "online_eligible": "(cl.status IS NOT NULL AND cl.status = %s AND cl.online_eligible)",
        "looked_up": "(lk.household_id IS NOT NULL)",
    }
    joins = [
        f"LEFT JOIN (SELECT household_id, COUNT(*) AS n, MAX(visited_at) AS last_at "  # noqa: S608
        f"FROM {visit} WHERE household_id IS NOT NULL GROUP BY household_id) vs "
        "ON vs.household_id = h.id",
        f"LEFT JOIN {current} cr ON cr.household_id = h.id",
        f"LEFT JOIN {line} cl ON cl.rating_result_id = cr.result_id",
        f"LEFT JOIN (SELECT DISTINCT household_id FROM {event} "  # noqa: S608
        f"WHERE household_id IS NOT NULL AND kind IN ({kinds})) lk ON lk.household_id = h.id",
    ]
    params += LOOKUP_KINDS
    for n, (column, figure) in enumerate(loan_figures.COLUMNS.items()):
        derived = figure()
        if derived is None:
            columns[column] = "FALSE" if column == "applied" else "0"
            continue
        sql, derived_params = derived
        alias = f"ln{n}"
        joins.append(f"LEFT JOIN ({sql}) {alias} ON {alias}.household_id = h.id")
        params += derived_params
        columns[column] = (
            f"({alias}.household_id IS NOT NULL)"
            if column == "applied"
            else f"COALESCE({alias}.value, 0)"
        )
    params.append(HouseholdStatus.CLOSED)
    select = (
        f"SELECT h.id, {', '.join(columns[c] for c in STAGE_COLUMNS)} "  # noqa: S608
        f"FROM {household} h {' '.join(joins)} WHERE h.status <> %s"
    )
    return select, params


def stages_write() -> int:
    """Every household's stage, written only where it changed; the rows of households closed
    (or gone) since are deleted. Returns the number of households staged."""
    stage = HouseholdStage._meta.db_table
    household = Household._meta.db_table
    select, params = _stage_select()
    updates = ", ".join(f"{c} = excluded.{c}" for c in STAGE_COLUMNS)
    changed = ""
    if connection.vendor == "postgresql":
        mine = ", ".join(f"{stage}.{c}" for c in STAGE_COLUMNS)
        theirs = ", ".join(f"excluded.{c}" for c in STAGE_COLUMNS)
        changed = f" WHERE ({mine}) IS DISTINCT FROM ({theirs})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {stage} (household_id, {', '.join(STAGE_COLUMNS)}) {select} "
            f"ON CONFLICT (household_id) DO UPDATE SET {updates}{changed}",
            params,
        )
        cursor.execute(
            f"DELETE FROM {stage} WHERE NOT EXISTS (SELECT 1 FROM {household} h "  # noqa: S608
            f"WHERE h.id = {stage}.household_id AND h.status <> %s)",
            [HouseholdStatus.CLOSED],
        )
    return HouseholdStage.objects.count()


# --- villages' figures ----------------------------------------------------------------------


def _stage_counts(*, now: datetime) -> dict[int, dict[str, Any]]:
    cutoff = unrated_cutoff(now, settings.DASHBOARDS_STALLED_DAYS)
    signed = Q(signed_amount__gt=0)
    figures = {
        "archived": Count("pk"),
        "visited": Count("pk", filter=Q(visits__gt=0)),
        "rated": Count("pk", filter=~Q(grade="")),
        "granted": Count("pk", filter=Q(granted=True)),
        "granted_amount": Sum("granted_amount"),
        "online_eligible": Count("pk", filter=Q(online_eligible=True)),
        "looked_up": Count("pk", filter=Q(looked_up=True)),
        "applied": Count("pk", filter=Q(applied=True)),
        "signed": Count("pk", filter=signed),
        "signed_amount": Sum("signed_amount"),
        "drawn": Count("pk", filter=Q(drawn_amount__gt=0)),
        "drawn_amount": Sum("drawn_amount"),
        "balance": Sum("balance"),
        "online_balance": Sum("online_balance"),
        "stalled_unrated": Count("pk", filter=Q(grade="", archived_at__lt=cutoff)),
        "granted_not_looked_up": Count("pk", filter=Q(granted=True, looked_up=False)),
        "signed_not_drawn": Count("pk", filter=signed & Q(drawn_amount=0)),
    }
    # annotations named apart from the columns they count (an annotation named like a column
    # would stand for it in the other filters)
    rows = (
        HouseholdStage.objects.order_by()
        .values("village_id")
        .annotate(**{f"figure_{name}": aggregate for name, aggregate in figures.items()})
    )
    result: dict[int, dict[str, Any]] = {}
    for row in rows:
        data = cast("dict[str, Any]", row)
        result[data["village_id"]] = {name: data[f"figure_{name}"] for name in figures}
    return result


def _event_counts(*, now: datetime) -> dict[tuple[int | None, int | None], dict[str, int]]:
    """Scans, verified lookups and open requests by (village, grid) of their QR code or
    request — all time, up to the moment."""
    counts: dict[tuple[int | None, int | None], dict[str, int]] = defaultdict(
        lambda: defaultdict(int)
    )
    for village, grid, n in (
        ScanEvent.objects.order_by().values_list("village_id", "grid_id").annotate(n=Count("id"))
    ):
        counts[(village, grid)]["scans"] += n
    for village, grid, n in (
        LookupEvent.objects.filter(kind__in=VERIFIED_KINDS)
        .order_by()
        .values_list("village_id", "grid_id")
        .annotate(n=Count("id"))
    ):
        counts[(village, grid)]["verified"] += n
    for village, grid, pending, overdue in (
        OfficerRequest.objects.filter(status=RequestStatus.OPEN)
        .order_by()
        .values_list("village_id", "grid_id")
        .annotate(pending=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
    ):
        counts[(village, grid)]["requests_pending"] += pending
        counts[(village, grid)]["requests_overdue"] += overdue
    return counts


def village_figures_write(*, now: datetime) -> int:
    """Today's row of every village (and the rest rows of grids and of the county), and this
    week's rows as a copy of them. Returns the number of villages."""
    today = timezone.localdate(now)
    stages = _stage_counts(now=now)
    events = _event_counts(now=now)
    rows: list[VillageFigures] = []
    by_village: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rest: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (village, grid), figures in events.items():
        target = by_village[village] if village is not None else rest[grid]
        for name, n in figures.items():
            target[name] += n
    villages = list(
        Village.objects.values_list("pk", "township_id", "grid_id", "registered_households")
    )
    for pk, township, grid, registered in villages:
        rows.append(
            VillageFigures(
                period=Period.DAY,
                day=today,
                as_of=now,
                village_id=pk,
                township_id=township,
                grid_id=grid,
                registered=registered,
                **stages.get(pk, {}),
                **by_village.get(pk, {}),
            )
        )
    known = {pk for pk, *_ in villages}
    for village, figures in by_village.items():  # events of a village deleted since: its grid
        if village not in known:
            for name, n in figures.items():
                rest[None][name] += n
    for grid, figures in rest.items():
        rows.append(
            VillageFigures(period=Period.DAY, day=today, as_of=now, grid_id=grid, **figures)
        )
    monday = week_start(today)
    VillageFigures.objects.filter(
        Q(period=Period.DAY, day=today) | Q(period=Period.WEEK, day=monday)
    ).delete()
    VillageFigures.objects.bulk_create(rows, batch_size=1000)
    for row in rows:
        row.pk = None
        row.period, row.day = Period.WEEK, monday
    VillageFigures.objects.bulk_create(rows, batch_size=1000)
    return len(villages)


# --- officers' weekly work ------------------------------------------------------------------


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def weekly_activity_write(*, now: datetime) -> int:
    """Recompute the weeks of the window (``DASHBOARDS_ACTIVITY_WEEKS`` back; every week the
    first time): visits per village, and requests whose deadline fell in the week and has
    passed, with those answered on time. Returns the number of rows written."""
    today = timezone.localdate(now)
    first = None
    if WeeklyActivity.objects.exists():
        first = week_start(today - timedelta(weeks=settings.DASHBOARDS_ACTIVITY_WEEKS))
    grid_of = dict(Village.objects.values_list("pk", "grid_id"))
    rows: dict[tuple[date, int | None, int | None], dict[str, int]] = defaultdict(
        lambda: defaultdict(int)
    )
    visits = Visit.objects.filter(household__isnull=False)
    requests = OfficerRequest.objects.filter(due_at__lte=now)
    if first is not None:
        visits = visits.filter(visited_at__gte=_start_of(first))
        requests = requests.filter(due_at__gte=_start_of(first))
    for week, village, n in (
        visits.annotate(week=TruncWeek("visited_at"))
        .order_by()
        .values_list("week", "household__village_id")
        .annotate(n=Count("id"))
    ):
        rows[(timezone.localtime(week).date(), village, grid_of.get(village))]["visits"] += n
    for week, village, grid, due, on_time in (
        requests.annotate(week=TruncWeek("due_at"))
        .order_by()
        .values_list("week", "village_id", "grid_id")
        .annotate(
            due=Count("id"),
            on_time=Count("id", filter=Q(closed_at__isnull=False, closed_at__lte=F("due_at"))),
        )
    ):
        day = timezone.localtime(week).date()
        key = (day, village, grid_of[village]) if village in grid_of else (day, None, grid)
        rows[key]["requests_due"] += due
        rows[key]["requests_on_time"] += on_time
    stale = WeeklyActivity.objects.all()
    if first is not None:
        stale = stale.filter(week__gte=first)
    stale.delete()
    WeeklyActivity.objects.bulk_create(
        [
            WeeklyActivity(week=week, village_id=village, grid_id=grid, **figures)
            for (week, village, grid), figures in rows.items()
        ],
        batch_size=1000,
    )
    return len(rows)


# --- keeping the history small ------------------------------------------------------------


def day_rows_prune(*, today: date) -> int:
    """Day rows are kept ``DASHBOARDS_DAILY_DAYS`` days, and the last day of every month for
    good (the monthly reports compare month ends); week rows are kept for good."""
    cutoff = today - timedelta(days=settings.DASHBOARDS_DAILY_DAYS)
    days = list(
        VillageFigures.objects.filter(period=Period.DAY)
        .order_by("day")
        .values_list("day", flat=True)
        .distinct()
    )
    last_of_month: dict[tuple[int, int], date] = {}
    for day in days:
        last_of_month[(day.year, day.month)] = day  # in order: the month's last wins
    keep = set(last_of_month.values())
    drop = [day for day in days if day < cutoff and day not in keep]
    if not drop:
        return 0
    deleted, _ = VillageFigures.objects.filter(period=Period.DAY, day__in=drop).delete()
    return deleted
