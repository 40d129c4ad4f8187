"""Prepared statements for batch work (``fuxiang.prepared``), on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection, transaction

from fuxiang import prepared

pytestmark = pytest.mark.django_db

SQL = (
    "SELECT %(n)s + 1, %(day)s + 1, %(codes)s::text[] || ARRAY['z'], '100%%', "
    "%(n)s * 2"  # a parameter used twice binds once
)


def _prepared_here() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'fx_%%'")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_is_prepared_once_per_connection_and_binds_each_call(postgres):
    before = len(_prepared_here())
    with connection.cursor() as cursor:
        for n in (1, 41):
            prepared.execute(cursor, SQL, {"n": n, "day": date(2024, 2, 28), "codes": ["a"]})
            row = cursor.fetchone()
            assert row == (n + 1, date(2024, 2, 29), ["a", "z"], "100%", n * 2)
    assert len(_prepared_here()) == before + 1
    assert any("SELECT $1 + 1, $2 + 1" in text and "'100%'" in text for text in _prepared_here())


def test_generic_or_custom_plans_inside_a_transaction(postgres):
    with transaction.atomic(), connection.cursor() as cursor:
        prepared.execute(cursor, "SELECT %(n)s::int", {"n": 1}, generic=True)
        assert cursor.fetchone() == (1,)  # the statement's rows, not the mode's
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_generic_plan"
        prepared.execute(cursor, "SELECT %(n)s::int", {"n": 2})
        assert cursor.fetchone() == (2,)
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_custom_plan"


def test_a_parameter_without_an_sql_type_is_refused(postgres):
    with connection.cursor() as cursor, pytest.raises(TypeError, match="no SQL type"):
        prepared.execute(cursor, "SELECT %(x)s", {"x": object()})
