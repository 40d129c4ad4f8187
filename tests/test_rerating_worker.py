"""An archive edited while a county run is active is re-rated by a real Celery worker (Redis,
PostgreSQL) once the run has ended: the worker is refused, waits and tries again."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest

from households import services
from households.tests.factories import HouseholdFactory
from rating import rerating, runs
from rating.models import CurrentRating, RatingRun, RunScope
from tests.test_rating_worker import approved_cards  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.services]

AS_OF = date(2026, 6, 30)


@pytest.fixture
def worker(monkeypatch, request):
    """The worker, with a one-second wait before a refused re-rating tries again."""
    monkeypatch.setenv("RATING_RERATE_RETRY_SECONDS", "1")
    return request.getfixturevalue("celery_worker")


def wait_until(condition, worker, what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"{what}:\n{worker.log.read_text()}"
        time.sleep(0.3)


def test_an_edit_during_a_county_run_is_re_rated_once_the_run_has_ended(
    worker,
    org,
    approved_cards,  # noqa: F811
):
    household = HouseholdFactory(
        village=org.village_a, committee_assessment="good", income_wages=Decimal(20000)
    )
    county_run = runs.rating_run_start(
        actor=org.head_office, scope=RunScope.COUNTY, as_of=AS_OF, dispatch=False, today=AS_OF
    )

    services.household_update(
        actor=org.officer_a, household=household, fields={"income_wages": Decimal(150000)}
    )

    wait_until(
        lambda: (
            "rerate_households" in worker.log.read_text()
            and "Retry in 1s" in worker.log.read_text()
        ),
        worker,
        "the re-rating should be refused and retried while the county run is active",
    )
    assert not CurrentRating.objects.filter(household=household).exists()

    runs.rating_run_cancel(actor=org.head_office, run=county_run)

    wait_until(
        lambda: CurrentRating.objects.filter(household=household).exists(),
        worker,
        "the re-rating should publish once the county run has ended",
    )
    rating = CurrentRating.objects.get(household=household)
    run = RatingRun.objects.get(pk=rating.run_id)
    assert run.household_ids == [household.pk]
    assert run.scope_label.startswith(rerating.PURPOSE_ARCHIVE_CHANGED)
