"""Writing results in bulk and switching the current ratings: set-based SQL, no per-row ORM.

On PostgreSQL results are streamed with ``COPY … FROM STDIN (FORMAT csv)``; elsewhere (SQLite in
development and tests) ``bulk_create`` writes the same rows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection

from households.models import BusinessEntity, Household
from rating import engine
from rating.engine import RatingResult as EngineResult
from rating.models import CurrentRating, RatingChunk, RatingResult, RatingRun, RunScope

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
    card: engine.Scorecard, breakdown: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A stored breakdown as ({feature: value used}, {feature: points})."""
    values, points = breakdown_order(card)
    return (
        dict(zip(values, breakdown.get("values", ()), strict=False)),
        dict(zip(points, breakdown.get("points", ()), strict=False)),
    )


def result_row(
    *,
    run_id: int,
    village_id: int,
    household_id: int | None,
    entity_id: int | None,
    result: EngineResult,
    features: Mapping[str, Any],
    value_order: Sequence[str],
) -> tuple[Any, ...]:
    """One result as a row of ``RESULT_COLUMNS`` (JSON columns already encoded). The breakdown
    keeps the card version, the values used (in ``value_order``, from ``breakdown_order``)
    and the points of each indicator then each adjustment, in the card's order."""
    points = [i.points for i in result.indicators]
    points.extend(a.points for a in result.adjustments)
    breakdown = {
        "card": result.card_version,
        "values": [features.get(f) for f in value_order],
        "points": points,
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


def current_ratings_switch(run: RatingRun) -> None:
    """Make the run's results current for every subject in its scope, in set-based statements
    (the caller holds the publishing transaction). In-scope subjects the run did not rate
    (consent withdrawn, closed) lose their current rating."""
    current = CurrentRating._meta.db_table
    results = RatingResult._meta.db_table
    chunks = RatingChunk._meta.db_table
    households = Household._meta.db_table
    entities = BusinessEntity._meta.db_table
    with connection.cursor() as cursor:
        if run.scope == RunScope.SUBJECTS:
            for column, ids in (
                ("household_id", run.household_ids),
                ("business_entity_id", run.entity_ids),
            ):
                if ids:
                    marks = ", ".join(["%s"] * len(ids))
                    cursor.execute(f"DELETE FROM {current} WHERE {column} IN ({marks})", ids)  # noqa: S608
        else:
            in_scope = f"SELECT village_id FROM {chunks} WHERE run_id = %s"  # noqa: S608
            cursor.execute(
                f"DELETE FROM {current} WHERE household_id IN "  # noqa: S608
                f"(SELECT id FROM {households} WHERE village_id IN ({in_scope}))",
                [run.pk],
            )
            cursor.execute(
                f"DELETE FROM {current} WHERE business_entity_id IN "  # noqa: S608
                f"(SELECT id FROM {entities} WHERE village_id IN ({in_scope}))",
                [run.pk],
            )
        columns = "household_id, business_entity_id, {}, run_id, kind, grade, score, knocked_out"
        cursor.execute(
            f"INSERT INTO {current} ({columns.format('result_id')}) "  # noqa: S608
            f"SELECT {columns.format('id')} FROM {results} WHERE run_id = %s",
            [run.pk],
        )


def results_summary(run_id: int) -> dict[str, Any]:
    """Counts of a run's results: total, knocked out, incomplete, and grades per kind."""
    table = RatingResult._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, grade, COUNT(*), "  # noqa: S608
            "SUM(CASE WHEN knocked_out THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN incomplete THEN 1 ELSE 0 END) "
            f"FROM {table} WHERE run_id = %s GROUP BY kind, grade ORDER BY kind, grade",
            [run_id],
        )
        rows = cursor.fetchall()
    grades: dict[str, dict[str, int]] = {}
    total = knocked_out = incomplete = 0
    for kind, grade, n, ko, inc in rows:
        grades.setdefault(kind, {})[grade] = int(n)
        total += int(n)
        knocked_out += int(ko or 0)
        incomplete += int(inc or 0)
    return {
        "rated": total,
        "knocked_out": knocked_out,
        "incomplete": incomplete,
        "grade_counts": grades,
    }
