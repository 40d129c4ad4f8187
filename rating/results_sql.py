"""Writing results in bulk and switching the current ratings: set-based SQL, no per-row ORM.

On PostgreSQL results are streamed with ``COPY … FROM STDIN (FORMAT csv)``; elsewhere (SQLite in
development and tests) ``bulk_create`` writes the same rows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection

from fuxiang import pgsettings
from households.models import BusinessEntity, Household
from rating import engine, features_sql
from rating.engine import RatingResult as EngineResult
from rating.models import (
    CurrentRating,
    RatingChunk,
    RatingResult,
    RatingRun,
    RunScope,
    SubjectKind,
)

RESULT_COLUMNS = (
    "run_id",
    "village_id",
    "household_id",
    "business_entity_id",
    "kind",
    "score",
    "grade",
    "knocked_out",
    "knock_outs",
    "incomplete",
    "missing",
    "flags",
    "breakdown",
    "points",
    "codes",
    "engine_version",
    "feature_values",
)

# Decimals (scores, money, ratios, Infinity) are written as exact strings by ``default=str``;
# everything else in a breakdown is already JSON.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
_EMPTY = "[]"


def breakdown_order(card: engine.Scorecard) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The fixed order of a card's breakdown lists: (features whose values are kept, features
    whose points are kept). Derived from the card alone — and a card used by a run never
    changes — so the rows need not repeat the names (a county run writes ~230,000 of them)."""
    points = tuple(i.feature for i in card.indicators) + tuple(a.feature for a in card.adjustments)
    values = list(points)
    for feature in (*(r.feature for r in card.knock_outs), *(f.feature for f in card.flags)):
        if feature not in values:
            values.append(feature)
    return tuple(values), points


def breakdown_decode(
    card: engine.Scorecard,
    breakdown: Mapping[str, Any],
    points: Sequence[Decimal] | None = None,
    feature_values: Sequence[str | None] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A stored result as ({feature: value used}, {feature: points}), the points as exact
    decimal strings: the ``points`` the run stored, or — for a result stored before points
    were (``points`` None) — the values kept scored again with the run's card."""
    values = kept_values(card, breakdown, feature_values)
    point_order = breakdown_order(card)[1]
    if points is None:
        points = engine.points_of(engine.score(card, values, explain=False))
    return values, {f: str(p) for f, p in zip(point_order, points, strict=True)}


def kept_values(
    card: engine.Scorecard,
    breakdown: Mapping[str, Any],
    feature_values: Sequence[str | None] | None = None,
) -> dict[str, Any]:
    """The values a result was scored with, {feature: value} in the breakdown's JSON form
    (numbers as exact decimal strings, counts as integers, yes/no as booleans, categories as
    text), whichever way they were stored: ``feature_values`` (text, the compiled path) read
    with each feature's kind, or the breakdown's ``values`` (the Python path, earlier
    results)."""
    value_order = breakdown_order(card)[0]
    if feature_values is None:
        return dict(zip(value_order, breakdown.get("values", ()), strict=False))
    kinds = value_kinds(card)
    return {
        f: _value_read(v, kinds.get(f)) for f, v in zip(value_order, feature_values, strict=False)
    }


def value_kinds(card: engine.Scorecard) -> dict[str, str]:
    """Each feature's kind of value (``features_sql``: number, count, text, flag)."""
    table = (
        features_sql.HOUSEHOLD_FEATURE_SQL
        if card.kind == SubjectKind.HOUSEHOLD
        else features_sql.ENTITY_FEATURE_SQL
    )
    return {f: kind for f, (_, kind) in table.items()}


def _value_read(value: str | None, kind: str | None) -> Any:
    if value is None:
        return None
    if kind == "count":
        return int(value)
    if kind == "flag":
        return value == "true"
    return value  # numbers as their exact decimal text, categories as themselves


def _array(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal (COPY's text for an array column)."""
    return "{" + ",".join(str(v) for v in values) + "}"


def result_row(
    *,
    run_id: int,
    village_id: int,
    household_id: int | None,
    entity_id: int | None,
    result: EngineResult,
    features: Mapping[str, Any],
    value_order: Sequence[str],
    card: engine.Scorecard,
) -> tuple[Any, ...]:
    """One result as a row of ``RESULT_COLUMNS`` (JSON and array columns already encoded).
    The breakdown keeps the card version and the values used (in ``value_order``, from
    ``breakdown_order``); ``points`` and ``codes`` what the engine made of them."""
    breakdown = {
        "card": result.card_version,
        "values": [features.get(f) for f in value_order],
    }
    return (
        run_id,
        village_id,
        household_id,
        entity_id,
        result.kind,
        result.score,
        result.grade,
        result.knocked_out,
        _dumps([r.code for r in result.knock_outs]) if result.knock_outs else _EMPTY,
        result.incomplete,
        _dumps(result.missing) if result.missing else _EMPTY,
        _dumps([r.code for r in result.flags]) if result.flags else _EMPTY,
        _dumps(breakdown),
        _array(engine.points_of(result)),
        _array(engine.codes_of(card, result)),
        engine.ENGINE_VERSION,
        None,  # feature_values: the breakdown keeps them
    )


def archive_read_sql(part: str, *more: str) -> str:
    """An ``UPDATE`` recording on a chunk — (``%(run)s``, ``%(village)s``) — what the
    statement it runs in reads from the archives: under ``part`` (an SQL text expression;
    ``more`` parts read by the same statement get the same entry) the statement's snapshot,
    this transaction's id if it has one yet, and the clock. Run as a data-modifying ``WITH``
    of the rating statement itself, it shares that statement's snapshot, so ``rating.replay``
    can tell exactly which archive events the statement saw — including those of a long
    transaction (an import) still open at the time, which it did not see."""
    table = RatingChunk._meta.db_table
    entries = ", ".join(f"{p}, mark.entry" for p in (part, *more))
    return (
        f"UPDATE {table} SET archive_reads = archive_reads || jsonb_build_object({entries}) "  # noqa: S608
        "FROM (SELECT jsonb_build_array(pg_current_snapshot()::text, "
        "pg_current_xact_id_if_assigned()::text, clock_timestamp()) AS entry) mark "
        "WHERE run_id = %(run)s AND village_id = %(village)s"
    )


def archive_read_mark(*, run_id: int, village_id: int, part: str) -> None:
    """``archive_read_sql`` on its own, just before a read (the Python path on PostgreSQL,
    whose reads are plain SELECTs: a commit landing between the two statements would be
    misplaced). Nothing elsewhere: SQLite keeps no archive history."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            archive_read_sql("%(part)s"), {"run": run_id, "village": village_id, "part": part}
        )


def results_delete(*, run_id: int, village_id: int) -> None:
    """Remove a chunk's earlier results (a rerun replaces them). Raw SQL: results of a run
    that is not published are referenced by nothing, so the ORM's collector is not needed."""
    table = RatingResult._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE run_id = %s AND village_id = %s",  # noqa: S608
            [run_id, village_id],
        )


def results_write(rows: Sequence[tuple[Any, ...]]) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        _copy(rows)
        return
    RatingResult.objects.bulk_create(
        [
            RatingResult(
                **dict(zip(RESULT_COLUMNS[:8], row[:8], strict=True)),
                knock_outs=json.loads(row[8]),
                incomplete=row[9],
                missing=json.loads(row[10]),
                flags=json.loads(row[11]),
                breakdown=json.loads(row[12]),
                points=[Decimal(v) for v in row[13][1:-1].split(",") if v],
                codes=[int(v) for v in row[14][1:-1].split(",") if v],
                engine_version=row[15],
                feature_values=row[16],
            )
            for row in rows
        ],
        batch_size=500,
    )


def _copy(rows: Sequence[tuple[Any, ...]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)  # None → empty field → NULL; booleans as True/False
    buffer.seek(0)
    table = RatingResult._meta.db_table
    sql = f"COPY {table} ({', '.join(RESULT_COLUMNS)}) FROM STDIN WITH (FORMAT csv)"
    with connection.cursor() as cursor, connection.wrap_database_errors:
        # the driver's own cursor (psycopg2): Django's wrapper has no COPY
        cursor.cursor.copy_expert(sql, buffer)


SWITCHED_COLUMNS = "result_id, run_id, kind, grade, score, knocked_out"


class SwitchMismatch(Exception):
    """The publish would make current a different number of results than the chunks rated."""


def current_ratings_switch(run: RatingRun, expected: Mapping[str, int]) -> None:
    """Make the run's results current for every subject in its scope, in set-based statements
    (the caller holds the publishing transaction). In-scope subjects the run did not rate
    (consent withdrawn, closed) lose their current rating. ``expected`` gives, per subject
    column (``household_id``, ``business_entity_id``), how many results the chunks wrote: a
    switch that would make current any other number raises ``SwitchMismatch`` (the caller's
    transaction rolls back; nothing is published).

    A household's current rating takes the household's ``updated_at`` with it (the list's
    grade filter reads a grade's households in the list's order from the current ratings'
    index). The households are read, never written or locked: the publish does not wait for
    an archive edit, nor an edit for the publish; an edit made meanwhile queues a re-rating of
    its household, whose publish writes the new ``updated_at``.

    Subjects already rated are *updated* in place: the columns that change at every run are
    not indexed and the table keeps free room in its pages (``fillfactor``, migration 0006), so
    PostgreSQL rewrites each row where it is (a HOT update) instead of deleting and inserting
    230,000 rows and their index entries at a county publish (a changed grade or ``updated_at``
    does touch the grade order's index). Only when some rated subject had no current rating yet
    (the first run, new archives) does an insert look for them. The run's rows are read
    through the (run, village) index: they were written moments ago and are in memory, which
    the server's default cost settings do not assume."""
    current = CurrentRating._meta.db_table
    results = RatingResult._meta.db_table
    chunks = RatingChunk._meta.db_table
    households = Household._meta.db_table
    columns = "result_id = r.id, run_id = r.run_id, kind = r.kind, grade = r.grade, "
    columns += "score = r.score, knocked_out = r.knocked_out"
    with connection.cursor() as cursor:
        # a county's hash stays in memory
        pgsettings.set_local(cursor, random_page_cost="1.1", jit="off", work_mem="'64MB'")
        for subject, table, listed in (
            ("business_entity_id", BusinessEntity._meta.db_table, run.entity_ids),
            ("household_id", Household._meta.db_table, run.household_ids),
        ):
            # The statistics cannot know the rows the run has just written (the publish
            # follows the last chunk at once). Planned as "a few rows", the switch of a
            # county's households probed the current ratings 215,000 times one by one
            # (1.2 s) instead of hashing them once (0.6 s); a few thousand entities are
            # best probed. Households come last: the publish steps keep their setting (the
            # publish gives the defaults back at its end).
            hashed = expected.get(subject, 0) > 20_000
            pgsettings.set_local(cursor, enable_nestloop="off" if hashed else "on")
            # (a household's ``updated_at``, read beside its result; a household gone since
            # its chunk keeps its result's count and has none)
            rows, moved, into_extra, select_extra = f"{results} r", "", "", ""
            if subject == "household_id":
                rows += f" LEFT JOIN {households} h ON h.id = r.household_id"
                moved = ", household_updated_at = h.updated_at"
                into_extra, select_extra = ", household_updated_at", ", h.updated_at"
            cursor.execute(
                f"UPDATE {current} SET {columns}{moved} "  # noqa: S608
                f"FROM {rows} WHERE r.run_id = %s AND r.{subject} IS NOT NULL "
                f"AND {current}.{subject} = r.{subject}",
                [run.pk],
            )
            switched = cursor.rowcount
            if switched < expected.get(subject, 0):
                # rated subjects without a current rating yet (the first run, new archives).
                # The current subjects are read once, before any row is inserted: an anti-join
                # probing the table the statement inserts into, planned while it was empty,
                # scans every row inserted so far for each new one.
                into = f"INSERT INTO {current} ({subject}, {SWITCHED_COLUMNS}{into_extra}) "
                select = (
                    f"SELECT r.{subject}, r.id, r.run_id, r.kind, r.grade, r.score, "  # noqa: S608
                    f"r.knocked_out{select_extra} "
                    f"FROM {rows} WHERE r.run_id = %s AND r.{subject} IS NOT NULL"
                )
                if switched:  # (none updated: all are new, as in the first run, no anti-join)
                    materialized = "MATERIALIZED" if connection.vendor == "postgresql" else ""
                    select = (
                        f"WITH known AS {materialized} (SELECT {subject} AS id FROM {current} "  # noqa: S608
                        f"WHERE {subject} IS NOT NULL) {select} "
                        f"AND NOT EXISTS (SELECT 1 FROM known k WHERE k.id = r.{subject})"
                    )
                # the statement starts with INSERT: SQLite's driver counts rows only then
                insert = into + select
                cursor.execute(insert, [run.pk])
                switched += cursor.rowcount
            if switched != expected.get(subject, 0):
                who = "农户" if subject == "household_id" else "经营主体"
                raise SwitchMismatch(
                    f"{who}{switched}条结果可切换为当前评级，分片评级{expected.get(subject, 0)}条"
                )
            # withdrawn: in scope, rated before, not rated by this run (every subject it rated
            # now points at it). No anti-join with the results: their statistics do not know
            # the rows the run has just written, and a planner misled by that turns one into
            # a scan per row.
            if run.scope == RunScope.COUNTY:
                in_scope, params = f"{subject} IS NOT NULL", []
            elif run.scope == RunScope.SUBJECTS:
                if not listed:
                    continue
                marks = ", ".join(["%s"] * len(listed))
                in_scope, params = f"{subject} IN ({marks})", [*listed]
            else:
                villages = f"SELECT village_id FROM {chunks} WHERE run_id = %s"  # noqa: S608
                subjects = f"SELECT id FROM {table} WHERE village_id IN ({villages})"  # noqa: S608
                in_scope, params = f"{subject} IN ({subjects})", [run.pk]
            cursor.execute(
                f"DELETE FROM {current} WHERE {in_scope} AND run_id <> %s",  # noqa: S608
                [*params, run.pk],
            )


def results_counts(run_id: int, village_id: int) -> list[list[Any]]:
    """A chunk's results counted: ``[[kind, grade, n, knocked out, incomplete], …]``."""
    table = RatingResult._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, grade, COUNT(*), "  # noqa: S608
            "SUM(CASE WHEN knocked_out THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN incomplete THEN 1 ELSE 0 END) "
            f"FROM {table} WHERE run_id = %s AND village_id = %s GROUP BY kind, grade",
            [run_id, village_id],
        )
        return [
            [kind, grade, int(n), int(ko or 0), int(inc or 0)]
            for kind, grade, n, ko, inc in cursor.fetchall()
        ]


def rows_counts(rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    """``results_counts`` of result rows still in hand (``result_row``'s, before or after they
    are written)."""
    counts: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        n = counts.setdefault((row[4], row[6]), [0, 0, 0])
        n[0] += 1
        n[1] += 1 if row[7] else 0
        n[2] += 1 if row[9] else 0
    return [[kind, grade, *n] for (kind, grade), n in sorted(counts.items())]


def results_summary(counts: Iterable[Sequence[Any]]) -> dict[str, Any]:
    """A run's results counted from its chunks' ``counts``: total, knocked out, incomplete,
    grades per kind, and results per subject column (for ``current_ratings_switch``)."""
    grades: dict[str, dict[str, int]] = {}
    by_subject = {"household_id": 0, "business_entity_id": 0}
    total = knocked_out = incomplete = 0
    for kind, grade, n, ko, inc in counts:
        grades.setdefault(kind, {})
        grades[kind][grade] = grades[kind].get(grade, 0) + n
        by_subject["household_id" if kind == SubjectKind.HOUSEHOLD else "business_entity_id"] += n
        total += n
        knocked_out += ko
        incomplete += inc
    return {
        "rated": total,
        "knocked_out": knocked_out,
        "incomplete": incomplete,
        "grade_counts": {kind: dict(sorted(g.items())) for kind, g in sorted(grades.items())},
        "by_subject": by_subject,
    }
