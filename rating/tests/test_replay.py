"""The replay reads the archive history through the rating's own reader: every table and
column that reader uses must be kept in the history (a feature reading a new column or table
must track it too, ``households/models/history.py``)."""

from __future__ import annotations

import re

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
