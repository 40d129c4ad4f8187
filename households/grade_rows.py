"""The households' grade rows (``HouseholdGrade``) on SQLite: two row triggers that add a row
with every household inserted and move its ``updated_at`` (the list's order) with the
household's. PostgreSQL has its own, statement by statement for inserts (migration 0021).

Installed after every ``migrate`` (``post_migrate``), not only by the migration: to alter a
table SQLite's schema editor builds a new one and drops the old, and the old one's triggers go
with it."""

from __future__ import annotations

from typing import Any

from django.db import connections

SQLITE_TRIGGERS = (
    """
    CREATE TRIGGER IF NOT EXISTS households_grade_rows_added
    AFTER INSERT ON households_household
    BEGIN
        INSERT INTO households_householdgrade (household_id, grade, updated_at)
        VALUES (NEW.id, '', NEW.updated_at);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS households_grade_rows_moved
    AFTER UPDATE OF updated_at ON households_household
    WHEN OLD.updated_at IS NOT NEW.updated_at
    BEGIN
        UPDATE households_householdgrade SET updated_at = NEW.updated_at
        WHERE household_id = NEW.id;
    END
    """,
)


def install_sqlite_triggers(*, using: str = "default", **_: Any) -> None:
    """(a ``post_migrate`` receiver) The triggers, on a SQLite database whose households
    table and grade rows exist; nothing elsewhere."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    tables = set(connection.introspection.table_names())
    if not {"households_household", "households_householdgrade"} <= tables:
        return  # (migrated only part of the way)
    with connection.cursor() as cursor:
        for statement in SQLITE_TRIGGERS:
            cursor.execute(statement)
