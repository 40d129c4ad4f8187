"""Planner statistics brought up to date when stale (``fuxiang.pgstats``), on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection, transaction

from fuxiang import pgstats

TABLE = "pgstats_probe"  # a temporary table: this connection's own


@pytest.fixture
def probe(postgres, transactional_db) -> Iterator[None]:
    """The table, empty and freshly analysed."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {TABLE} (id integer, name text)")
        cursor.execute(f"ANALYZE {TABLE}")
    assert _rows_planned() == 0
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {TABLE}")


def _rows_planned() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = CAST(%s AS regclass)", [TABLE])
        return float(cursor.fetchone()[0])


def _execute(sql: str, params: list[str] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_table_filled_since_its_last_analyse_is_analysed_once(probe):
    assert pgstats.analyze_if_stale(TABLE) == []  # just analysed
    _execute("INSERT INTO pgstats_probe SELECT i, 'a' FROM generate_series(1, 300) i")
    assert pgstats.analyze_if_stale(TABLE) == [TABLE]
    assert _rows_planned() == 300
    # its own inserts were reported before it analysed: they do not count a second time
    assert pgstats.analyze_if_stale(TABLE) == []


def test_a_few_changed_rows_wait_as_they_would_for_autovacuum(probe):
    _execute("INSERT INTO pgstats_probe SELECT i, 'a' FROM generate_series(1, 300) i")
    assert pgstats.analyze_if_stale(TABLE) == [TABLE]
    # 50 + 10 % of 300 = 80 rows
    _execute("UPDATE pgstats_probe SET name = 'b' WHERE id <= 70")
    assert pgstats.analyze_if_stale(TABLE) == []
    _execute("DELETE FROM pgstats_probe WHERE id > 280")  # 90 since the analyse
    assert pgstats.analyze_if_stale(TABLE) == [TABLE]
    assert _rows_planned() == 280


def test_a_transactions_own_writes_count(probe):
    """Not yet reported to the server, they would be missed in its counts."""
    with transaction.atomic():
        _execute("INSERT INTO pgstats_probe SELECT i, 'a' FROM generate_series(1, 300) i")
        assert pgstats.analyze_if_stale(TABLE) == [TABLE]
        assert _rows_planned() == 300


def test_a_table_planned_as_empty_that_has_grown_is_analysed_without_counts(probe):
    """The server's counts start again from zero after a crash, and in a copy of the database
    (``CREATE DATABASE … TEMPLATE``); the table's size tells it has rows all the same."""
    _execute("INSERT INTO pgstats_probe SELECT i, 'a' FROM generate_series(1, 300) i")
    _execute("SELECT pg_stat_force_next_flush()")
    _execute("SELECT pg_stat_reset_single_table_counters(CAST(%s AS regclass))", [TABLE])
    assert pgstats.analyze_if_stale(TABLE) == [TABLE]
    assert _rows_planned() == 300
    assert pgstats.analyze_if_stale(TABLE) == []
