"""Holding a household's row while something about it is written, without getting in the way
of the rating's publish (PostgreSQL).

The publish writes each household's copy of its grade (``Household.current_grade``) and skips
the rows another transaction holds against that write (``FOR NO KEY UPDATE SKIP LOCKED``), for
the re-rating an archive edit queues writes the copy later. A write that queues no re-rating —
a visit, an override proposed, a villager's request — holds the row ``FOR KEY SHARE`` instead:
an edit that moves or closes the household (``FOR UPDATE``) still waits for it, the publish
does not. Writes of one kind that must queue up for a household (one open proposal, one open
request) take an advisory lock of their own with it."""

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
