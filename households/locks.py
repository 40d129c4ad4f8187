"""Holding a household's row while something about it is written, without getting in the way
of the rating's publish or of an edit (PostgreSQL).

The publish writes the households' grade rows (``HouseholdGrade``), not the households, and
skips a grade row another transaction holds (``FOR NO KEY UPDATE SKIP LOCKED``): an archive
edit holds it from its save on (the household's trigger moves the row's ``updated_at``), and
the re-rating that edit queues writes the grade later. A write that queues no re-rating — a
visit, an override proposed, a villager's request — holds the household's row ``FOR KEY
SHARE``: an edit that moves or closes the household (``FOR UPDATE``) still waits for it, an
edit's save does not, and the grade row is not held. Writes of one kind that must queue up for
a household (one open proposal, one open request) take an advisory lock of their own with
it."""

from __future__ import annotations

from django.db import connection

from households.models import Household


def household_held(household_id: int, *, queue: int | None = None) -> None:
    """Hold the household's row ``FOR KEY SHARE`` until the transaction ends; with ``queue``
    (a 32-bit key naming the kind of write), first wait for any other transaction holding
    ``queue`` for this household. Nothing elsewhere than on PostgreSQL (SQLite writes one
    transaction at a time)."""
    if connection.vendor != "postgresql":
        return
    table = connection.ops.quote_name(Household._meta.db_table)
    with connection.cursor() as cursor:
        if queue is not None:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [queue, household_id])
        cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE", [household_id])  # noqa: S608
