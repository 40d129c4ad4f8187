"""Holding a household's row while something about it is written, without getting in the way
of an edit (PostgreSQL).

The rating's publish reads the households (their ``updated_at``, copied beside each current
rating) but never writes or locks them, so nothing here concerns it. A write that queues no
re-rating — a visit, an override proposed, a villager's request — holds the household's row
``FOR KEY SHARE``: an edit that moves or closes the household (``FOR UPDATE``) still waits for
it, an edit's save does not. Writes of one kind that must queue up for a household (one open
proposal, one open request) take an advisory lock of their own with it."""

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
