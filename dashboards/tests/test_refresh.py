"""The refresh counts what the raw tables hold: for a generated county (synthetic archives, a
published rating, visits, scans, lookups, requests, lines suspended and expired, households
closed), every funnel figure of the county, of each branch and of each village equals a count
computed here independently with plain ORM queries on the archives, ratings, lines and
events. Then: refreshing again changes nothing; a rating publish queues a refresh; history is
kept the way the trends and the monthly report need it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import F, Q, Sum
from django.utils import timezone

from credit.models import CreditLine, LineStatus
from dashboards import figures as refresh
from dashboards.figures_selectors import dashboard, latest_snapshot
from dashboards.models import HouseholdStage, Period, VillageFigures, WeeklyActivity
from dashboards.scopes import BRANCH, COUNTY, scope_for
from dashboards.tests.county import generated_county
from households.models import Branch, Household, HouseholdStatus, Village, Visit
from loans.models import Drawdown, Loan, LoanApplication, LoanContract
from qrlookup.models import LookupEvent, OfficerRequest, ScanEvent
from rating.models import CurrentRating
from tests.test_rating_worker import approved_cards  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres")]


@pytest.fixture
def county(eager_celery, approved_cards, settings):  # noqa: F811
    # made under the default window: its ~100 loan events cost one refresh, not one each
    county = generated_county()
    settings.DASHBOARDS_REFRESH_DEBOUNCE_SECONDS = 0  # the tests' own events refresh at once
    cache.delete(refresh.DEBOUNCE_KEY)
    refresh.figures_refresh(now=county.now)
    return county


def independent(households=None, *, grids=None, now):
    """The funnel of a set of households (and of the events of a set of grids), counted from
    the raw tables without the dashboards' code."""
    open_households = Household.objects.exclude(status=HouseholdStatus.CLOSED)
    if households is not None:
        open_households = open_households.filter(pk__in=households)
    ids = set(open_households.values_list("pk", flat=True))
    current = CurrentRating.objects.filter(household_id__in=ids)
    lines = CreditLine.objects.filter(rating_result_id__in=current.values("result_id"))
    exposed = lines.filter(status__in=[LineStatus.ACTIVE, LineStatus.SUSPENDED])
    looked_up = set(
        LookupEvent.objects.filter(
            household_id__in=ids, kind__in=["verified", "wechat", "result"]
        ).values_list("household_id", flat=True)
    )
    granted_ids = set(exposed.values_list("household_id", flat=True))
    unrated = ids - set(current.values_list("household_id", flat=True))
    stale = set(
        Household.objects.filter(
            pk__in=unrated, created_at__lt=now - timedelta(days=30)
        ).values_list("pk", flat=True)
    )
    scans = ScanEvent.objects.all()
    verified = LookupEvent.objects.filter(kind__in=["verified", "wechat"])
    requests = OfficerRequest.objects.filter(status="open")
    if grids is not None:
        scans, verified, requests = (
            q.filter(grid_id__in=grids) for q in (scans, verified, requests)
        )
    return {
        "archived": len(ids),
        "visited": len(ids & set(Visit.objects.values_list("household_id", flat=True))),
        "rated": current.count(),
        "granted": len(granted_ids),
        "granted_amount": exposed.aggregate(s=Sum("amount"))["s"] or Decimal(0),
        "online_eligible": lines.filter(status=LineStatus.ACTIVE, online_eligible=True).count(),
        "looked_up": len(looked_up),
        "scans": scans.count(),
        "verified": verified.count(),
        "requests_pending": requests.count(),
        "requests_overdue": requests.filter(due_at__lt=now).count(),
        "stalled_unrated": len(stale),
        "granted_not_looked_up": len(granted_ids - looked_up),
        **loans_independent(ids),
    }


def loans_independent(ids):
    """The loans figures of a set of households, from the ledger's own tables."""
    contracts = LoanContract.objects.filter(household_id__in=ids)
    drawdowns = Drawdown.objects.filter(contract__household_id__in=ids)
    open_loans = Loan.objects.filter(household_id__in=ids).exclude(status="closed")
    online = open_loans.filter(contract__signing_channel__in=["villager", "platform"])
    signed = set(contracts.values_list("household_id", flat=True))
    drawn = set(drawdowns.values_list("contract__household_id", flat=True))

    def total(rows, field):
        return rows.aggregate(s=Sum(field))["s"] or Decimal(0)

    return {
        "applied": LoanApplication.objects.filter(household_id__in=ids)
        .values("household_id")
        .distinct()
        .count(),
        "signed": len(signed),
        "signed_amount": total(contracts, "amount"),
        "drawn": len(drawn),
        "drawn_amount": total(drawdowns, "amount"),
        "balance": total(open_loans, "principal_outstanding"),
        "online_balance": total(online, "principal_outstanding"),
        "signed_not_drawn": len(signed - drawn),
    }


KEYS = (
    "archived",
    "visited",
    "rated",
    "granted",
    "granted_amount",
    "online_eligible",
    "looked_up",
    "scans",
    "verified",
    "requests_pending",
    "requests_overdue",
    "stalled_unrated",
    "granted_not_looked_up",
    "applied",
    "signed",
    "signed_amount",
    "drawn",
    "drawn_amount",
    "balance",
    "online_balance",
    "signed_not_drawn",
)


def figures_of(board):
    return {key: getattr(board.total, key) for key in KEYS}


def test_the_county_funnel_equals_counts_from_the_raw_tables(county):
    board = dashboard(scope_for(county.head_office, COUNTY))
    expected = independent(now=county.now)
    assert figures_of(board) == expected
    assert board.total.registered == Village.objects.aggregate(s=Sum("registered_households"))["s"]
    # the case exercises what matters: something in and something out of every stage
    assert 0 < expected["visited"] < expected["archived"]
    assert 0 < expected["rated"] < expected["archived"]
    assert 0 < expected["granted"] < expected["rated"]
    assert 0 < expected["online_eligible"] < expected["granted"]
    assert 0 < expected["looked_up"] < expected["archived"]
    assert 0 < expected["requests_overdue"] < expected["requests_pending"]
    assert expected["stalled_unrated"] > 0
    assert 0 < expected["drawn"] < expected["signed"] < expected["applied"]
    assert 0 < expected["online_balance"] < expected["balance"] < expected["drawn_amount"]
    assert board.total.online_share is not None
    assert Household.objects.filter(status=HouseholdStatus.CLOSED).exists()
    # children add up to the county, rest rows (officers' own codes) included
    assert sum(row.figures.scans for row in board.children) == expected["scans"]
    assert sum(row.figures.archived for row in board.branches) == expected["archived"]


def test_each_branch_and_each_village_equals_its_own_raw_counts(county):
    for branch in Branch.objects.all():
        scope = scope_for(county.head_office, BRANCH, branch.pk)
        households = Household.objects.filter(village__grid__branch=branch).values("pk")
        grids = list(branch.grids.values_list("pk", flat=True))
        assert figures_of(dashboard(scope)) == independent(
            households, grids=grids, now=county.now
        ), branch.name
    snapshot = latest_snapshot()
    rows = VillageFigures.objects.filter(period=Period.DAY, day=snapshot.day, village__isnull=False)
    assert rows.count() == Village.objects.count()
    for row in rows:
        expected = independent(
            Household.objects.filter(village_id=row.village_id).values("pk"), now=county.now
        )
        for key in ("archived", "visited", "rated", "granted", "granted_amount", "looked_up"):
            assert getattr(row, key) == expected[key], (row.village_id, key)
        scans = ScanEvent.objects.filter(village_id=row.village_id).count()
        assert row.scans == scans


def test_officers_weekly_work_equals_the_raw_visits_and_requests(county):
    totals = WeeklyActivity.objects.aggregate(
        visits=Sum("visits"), due=Sum("requests_due"), on_time=Sum("requests_on_time")
    )
    assert totals["visits"] == Visit.objects.filter(household__isnull=False).count()
    due = OfficerRequest.objects.filter(due_at__lte=county.now)
    assert totals["due"] == due.count()
    assert totals["on_time"] == due.filter(closed_at__lte=F("due_at")).count()
    assert 0 < totals["on_time"] < totals["due"]


def _row_versions():
    """Each stage row's xmin: the transaction that last wrote it."""
    with connection.cursor() as cursor:
        table = HouseholdStage._meta.db_table
        cursor.execute(f"SELECT household_id, xmin::text FROM {table}")  # noqa: S608
        return dict(cursor.fetchall())


def test_a_second_refresh_rewrites_no_unchanged_stage_and_follows_changes(county):
    household = HouseholdStage.objects.filter(visits=0).order_by("pk").first().household
    before = _row_versions()
    refresh.figures_refresh()
    assert _row_versions() == before  # nothing changed: no row written
    Visit.objects.create(
        officer_id=county.head_office.pk,
        household=household,
        visited_at=timezone.now(),
        place="家中",
        outcome="explained",
    )
    Household.objects.filter(pk=county.households[0]).update(status=HouseholdStatus.CLOSED)
    refresh.figures_refresh()
    assert HouseholdStage.objects.get(pk=household.pk).visits == 1
    assert not HouseholdStage.objects.filter(pk=county.households[0]).exists()
    # today's rows were replaced, not added to
    today = timezone.localdate()
    assert (
        VillageFigures.objects.filter(period=Period.DAY, day=today, village__isnull=False).count()
        == Village.objects.count()
    )


def test_a_published_rating_queues_a_refresh(county, django_capture_on_commit_callbacks, settings):
    from rating import runs

    VillageFigures.objects.all().delete()
    settings.DASHBOARDS_REFRESH_DEBOUNCE_SECONDS = 0
    household = Household.objects.exclude(status=HouseholdStatus.CLOSED).first()
    with django_capture_on_commit_callbacks(execute=True):
        runs.rating_households_rerate(household_ids=[household.pk])
    assert latest_snapshot() is not None  # the publish step queued it; eager Celery ran it


@pytest.mark.django_db
def test_refreshes_after_events_are_debounced(settings, django_capture_on_commit_callbacks):
    settings.DASHBOARDS_REFRESH_DEBOUNCE_SECONDS = 60
    cache.delete(refresh.DEBOUNCE_KEY)
    with django_capture_on_commit_callbacks() as callbacks:
        refresh.figures_refresh_soon()
        refresh.figures_refresh_soon()
        refresh.figures_refresh_soon()
    assert len(callbacks) == 1  # one refresh queued for the window
    cache.delete(refresh.DEBOUNCE_KEY)


@pytest.mark.django_db
def test_day_rows_keep_two_months_and_every_month_end(settings):
    settings.DASHBOARDS_DAILY_DAYS = 62
    today = date(2026, 12, 6)
    days = [date(2026, 9, 29), date(2026, 9, 30), date(2026, 10, 1), date(2026, 10, 30)]
    days += [today - timedelta(days=n) for n in range(3)]
    for day in days:
        VillageFigures.objects.create(period=Period.DAY, day=day, as_of=timezone.now())
        VillageFigures.objects.create(period=Period.WEEK, day=day, as_of=timezone.now())
    refresh.day_rows_prune(today=today)
    kept = set(VillageFigures.objects.filter(period=Period.DAY).values_list("day", flat=True))
    # September's last refresh and October's (its 30th) stay; older days of the month go
    assert kept == {date(2026, 9, 30), date(2026, 10, 30), *days[4:]}
    assert VillageFigures.objects.filter(period=Period.WEEK).count() == len(days)


@pytest.mark.django_db
def test_a_county_with_nothing_yet_refreshes_to_zeros(org):
    refresh.figures_refresh()
    board = dashboard(scope_for(org.head_office, COUNTY))
    assert board.total.registered == 200  # the two villages' registered households
    assert board.total.archived == board.total.rated == board.total.scans == 0
    assert board.total.share("archived") == Decimal("0.0")


def test_the_stage_of_a_household_follows_its_line(county):
    stage = HouseholdStage.objects.filter(line_status=LineStatus.SUSPENDED).first()
    assert stage.granted
    assert not stage.online_eligible
    expired = HouseholdStage.objects.filter(line_status=LineStatus.EXPIRED).first()
    assert not expired.granted
    assert expired.granted_amount == 0
    assert not HouseholdStage.objects.filter(Q(granted=False) & ~Q(granted_amount=0)).exists()


@pytest.mark.django_db
def test_a_loan_event_or_a_line_change_queues_a_refresh(
    org, eager_celery, settings, django_capture_on_commit_callbacks
):
    from credit.signals import lines_changed_on_commit
    from loans.signals import ledger_changed_on_commit

    settings.DASHBOARDS_REFRESH_DEBOUNCE_SECONDS = 0
    for announce in (
        lambda: ledger_changed_on_commit(household_ids=[1], reason="draw"),
        lambda: lines_changed_on_commit(household_ids=[1], reason="冻结"),
    ):
        VillageFigures.objects.all().delete()
        with django_capture_on_commit_callbacks(execute=True):
            announce()
        assert latest_snapshot() is not None  # the receiver queued it; eager Celery ran it
