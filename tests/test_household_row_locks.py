"""Locks on a household's rows that must not get in each other's way (PostgreSQL): the publish
reads the households (each current rating takes its household's ``updated_at``, the grade
filter's order) without waiting for whatever holds them — an archive edit, a visit, an
override proposed — and a visit being recorded holds its subject only against a move (so
that the move finds the visit)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import pytest
from django.db import connection, transaction
from django.utils import timezone

from households import services
from households.models import Household
from households.tests.factories import HouseholdFactory
from rating.models import CurrentRating
from tests.test_rating_worker import approved_cards  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres")]


def _other_session():
    db = connection.settings_dict
    return psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )


@contextmanager
def _held_by_another_session(statement: str, household_id: int) -> Iterator[None]:
    """``statement`` run on the household by another session, whose transaction stays open
    (holding what it locked) until the block ends."""
    other = _other_session()
    try:
        with other.cursor() as cursor:
            cursor.execute(statement, [household_id])
        yield
    finally:
        other.rollback()
        other.close()


def _locks(session, household_id: int, mode: str) -> bool:
    """Whether ``session`` can take ``mode`` on the household's row at once."""
    with session.cursor() as cursor:
        cursor.execute("SAVEPOINT probe")
        try:
            cursor.execute(
                f"SELECT 1 FROM households_household WHERE id = %s FOR {mode} NOWAIT",  # noqa: S608
                [household_id],
            )
        except psycopg2.errors.LockNotAvailable:
            cursor.execute("ROLLBACK TO SAVEPOINT probe")
            return False
        cursor.execute("RELEASE SAVEPOINT probe")
        return True


def _listed_as_of(household: Household) -> tuple[str, object]:
    """The household's current grade and the ``updated_at`` its grade filter orders it by."""
    current = CurrentRating.objects.get(household=household)
    return current.grade, current.household_updated_at


def test_the_publish_rates_a_household_held_only_by_a_key_share(
    org,
    approved_cards,  # noqa: F811
):
    """A row referencing the household being written elsewhere (its foreign-key check), or a
    visit being recorded, holds the household ``FOR KEY SHARE``: that changes nothing of the
    household and queues no re-rating, so the publish must not wait for it nor leave the
    household out of its grade."""
    from rating import runs

    household = HouseholdFactory(village=org.village_a, committee_assessment="good")
    key_share = "SELECT 1 FROM households_household WHERE id = %s FOR KEY SHARE"
    with _held_by_another_session(key_share, household.pk):
        run = runs.rating_household_rerate(household=household, as_of=timezone.localdate())

    grade, as_of = _listed_as_of(household)
    assert grade
    assert CurrentRating.objects.get(household=household).run_id == run.pk
    assert as_of == Household.objects.get(pk=household.pk).updated_at


def test_a_county_publish_does_not_wait_for_an_archive_edit_in_progress(
    org,
    approved_cards,  # noqa: F811
    eager_celery,
):
    """An archive edit in progress (another session's open transaction holding the household's
    row) neither holds up a county's publish nor keeps its household from being rated: the
    publish reads the household as last committed (the re-rating the edit queues when it
    commits reads it again)."""
    import time

    from rating import runs
    from rating.models import RunScope, RunStatus

    held = HouseholdFactory(village=org.village_a, committee_assessment="good")
    free = HouseholdFactory(village=org.village_a, committee_assessment="good")
    committed = Household.objects.get(pk=held.pk).updated_at
    edit = "UPDATE households_household SET updated_at = now() WHERE id = %s"
    with _held_by_another_session(edit, held.pk):
        started = time.monotonic()
        with connection.cursor() as cursor:  # (a publish that waited fails, not hangs)
            cursor.execute("SET lock_timeout = '5s'")
        try:
            run = runs.rating_run_start(
                actor=org.head_office, scope=RunScope.COUNTY, as_of=timezone.localdate()
            )
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        seconds = time.monotonic() - started
        run.refresh_from_db()
        assert run.status == RunStatus.PUBLISHED
        assert seconds < 10  # (no wait for the edit, which is still open)

    for household in (held, free):
        grade, _ = _listed_as_of(household)
        assert grade
        assert CurrentRating.objects.get(household=household).run_id == run.pk
    assert _listed_as_of(held)[1] == committed
    assert _listed_as_of(free)[1] == Household.objects.get(pk=free.pk).updated_at


def test_a_visit_being_recorded_holds_its_subject_against_a_move_only(org):
    """While a visit is written its household cannot move (the move would not see the visit),
    yet an edit can still be saved meanwhile."""
    household = HouseholdFactory(village=org.village_a)
    other = _other_session()
    try:
        with transaction.atomic():
            services.visit_create(
                actor=org.officer_a,
                household=household,
                fields={"visited_at": timezone.now(), "place": "村部", "outcome": "archived"},
            )
            assert not _locks(other, household.pk, "UPDATE")  # a move waits for the visit
            assert _locks(other, household.pk, "NO KEY UPDATE")  # an edit's save does not
    finally:
        other.rollback()
        other.close()


def _propose(org, household):
    from datetime import timedelta
    from decimal import Decimal

    from credit import overrides

    overrides.override_propose(
        actor=org.officer_a,
        household=household,
        kind="limit",
        amount=Decimal(200000),
        reason="走访核实家庭养殖规模扩大，收入被低估",
        valid_until=timezone.localdate() + timedelta(days=90),
    )


def _ask(org, household):
    from qrlookup.officer_requests import request_create_for_household

    request_create_for_household(household_id=household.pk, kind="rerating")


@pytest.mark.parametrize("hold", [_propose, _ask], ids=["override proposed", "villager asks"])
def test_a_household_held_by_a_write_that_queues_no_rerating_is_still_rated(
    org,
    approved_cards,  # noqa: F811
    hold,
):
    """An officer proposing an override, or a villager asking the officer for something, holds
    the household while it is written (two of them for it queue up) and queues no re-rating:
    a re-rating meanwhile must still publish the household's new rating, or the list's grade
    filter keeps the old grade until the next run of its scope."""
    import threading

    from rating import runs

    household = HouseholdFactory(village=org.village_a, committee_assessment="good")
    runs.rating_household_rerate(household=household, as_of=timezone.localdate())
    outcome: dict[str, object] = {}

    def rerate() -> None:
        try:
            outcome["run"] = runs.rating_household_rerate(
                household=household, as_of=timezone.localdate()
            )
        except BaseException as exc:  # (raised again below)
            outcome["error"] = exc
        finally:
            connection.close()

    worker = threading.Thread(target=rerate)
    with transaction.atomic():
        hold(org, household)
        worker.start()
        worker.join(timeout=60)  # (a rerate that waited for the proposal ends after it)
    worker.join(timeout=60)
    assert not worker.is_alive()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]

    assert CurrentRating.objects.get(household=household).run_id == outcome["run"].pk
    assert _listed_as_of(household)[1] == Household.objects.get(pk=household.pk).updated_at
