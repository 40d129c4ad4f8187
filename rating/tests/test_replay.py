"""The replay reads the archive history through the rating's own reader: every table and
column that reader uses must be kept in the history (a feature reading a new column or table
must track it too, ``households/models/history.py``)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection

from households.models import ARCHIVE_HISTORY
from rating import features_sql, replay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postgres")]

READERS = {
    "household": features_sql._household_sql(""),
    "enterprise": features_sql._entity_sql(""),
}


@pytest.mark.parametrize("part", list(READERS))
def test_every_table_the_rating_reads_has_a_history_shown_as_of_a_read(part):
    read = set(re.findall(r"(?:FROM|JOIN)\s+([a-z_]+)", READERS[part]))
    shown = {m._meta.db_table for m in replay.history_tables(part)}
    assert read <= shown
    assert shown <= {m._meta.db_table for m in ARCHIVE_HISTORY}


@pytest.mark.parametrize("part", list(READERS))
def test_every_column_the_rating_reads_is_kept_in_the_history(part):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text, clock_timestamp()")
        snapshot, at = cursor.fetchone()
    with replay.archive_as_of([snapshot, None, at.isoformat()], part=part, ids=[]):
        rows = (
            features_sql.household_rows(village_id=0, as_of=at.date())
            if part == "household"
            else features_sql.entity_rows(village_id=0)
        )
        assert list(rows) == []  # (a column missing from the history fails the read)


def test_a_rerating_inside_the_writers_transaction_is_rebuilt_from_the_events_before_it(org):
    """A household re-rated in the same transaction as edits before and after it (a service
    edits, re-rates, edits again before committing): the events of the chunk's own
    transaction count up to the moment of its read, not after."""
    from decimal import Decimal

    from households.models import Household
    from households.tests.factories import HouseholdFactory
    from rating import runs
    from rating.models import RatingResult

    household = HouseholdFactory(village=org.village_a, committee_assessment="good")
    Household.objects.filter(pk=household.pk).update(income_business=Decimal(150_000))
    runs.rating_household_rerate(
        household=household, as_of=date(2026, 6, 30), today=date(2026, 6, 30)
    )
    result = RatingResult.objects.get(household=household)
    Household.objects.filter(pk=household.pk).update(
        income_business=Decimal(0), committee_assessment="poor", is_dishonest_debtor=True
    )

    (rebuilt,) = replay.results_replay(result_ids=[result.pk])

    assert rebuilt.identical, rebuilt.differences
    assert not result.knocked_out
