"""Rebuilding stored results from the archive as it was (``manage.py rating_replay``).

A result is rebuilt from what its run used and nothing that came later:

- **the archive as the rating statement saw it.** Each chunk records, from inside the very
  statement that read a village's archives, that statement's snapshot (and its own
  transaction id and the clock: ``RatingChunk.archive_reads``, per part — households,
  enterprises, agricultural entities). The archive history (``households.models.history``)
  keeps every value the rating reads with the id of the transaction that wrote it, so the
  archive at the run is, per row, the last event visible in that snapshot (an event of the
  chunk's own transaction counts when it was written before the read). A long transaction
  still open while the chunk read — an import — is correctly left out, though it started
  earlier.
- **the same reader.** The replay runs the rating's own archive reader
  (``features_sql.household_rows`` / ``entity_rows``) inside a transaction that is rolled
  back, where temporary tables named like the archive tables — which PostgreSQL resolves before
  the tables themselves — hold the rows as of the snapshot. So the replay reads exactly the
  columns the rating reads, through the same joins, and a column the history does not keep
  fails loudly instead of being read from today's archive.
- **the run's cards** (approved cards never change) and the pure engine
  (``engine.score``), which the compiled SQL path is tested against.

Every difference from the stored result is listed: score, grade, knock-outs, missing values,
flags, each indicator's points, band and hint target, the values kept. Numbers in the
breakdown agree to 1e-15 (PostgreSQL divides to 20 digits, Python to 28; far beyond any bin's
edge). Credit lines are not rebuilt here: each line keeps its own trace (policy version, the
override, cap, income and asset terms, every rate term).

PostgreSQL only: elsewhere there is no archive history.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction

from households.models import (
    ARCHIVE_HISTORY,
    BusinessEntity,
    Household,
    Member,
    WatchlistEntityMatch,
    WatchlistMatch,
)
from rating import engine
from rating.batch import engine_card
from rating.features_sql import entity_rows, household_rows
from rating.models import RatingChunk, RatingResult, RatingRun, SubjectKind
from rating.results_sql import breakdown_order, kept_values

TOLERANCE = Decimal("1e-15")


class ReplayUnavailable(Exception):
    """The result cannot be rebuilt (no history on this database, or a run from before it)."""


@dataclass(frozen=True)
class Difference:
    what: str
    stored: str
    rebuilt: str


@dataclass
class Replay:
    """One result rebuilt: its differences from the stored row (none: identical)."""

    result_id: int
    run_id: int
    subject: str
    card_version: str
    stored_grade: str
    stored_score: Decimal
    differences: list[Difference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problem: str = ""  # why it could not be rebuilt at all

    @property
    def identical(self) -> bool:
        return not self.problem and not self.differences


def results_sample(*, run_id: int, n: int, seed: int | None = None) -> list[int]:
    """``n`` results of a run picked at random (all of them when it has fewer)."""
    ids = list(RatingResult.objects.filter(run_id=run_id).values_list("pk", flat=True))
    if len(ids) <= n:
        return sorted(ids)
    return sorted(random.Random(seed).sample(ids, n))  # noqa: S311 (a sample, not a secret)


def results_replay(*, result_ids: Sequence[int]) -> list[Replay]:
    """Rebuild each result from the archive history as its run read it and compare."""
    if connection.vendor != "postgresql":
        raise ReplayUnavailable("档案历史仅在PostgreSQL上记录，无法重建评级结果")
    results = list(RatingResult.objects.filter(pk__in=result_ids).order_by("pk"))
    missing = sorted(set(result_ids) - {r.pk for r in results})
    if missing:
        raise ReplayUnavailable(f"评级结果不存在：{', '.join(map(str, missing))}")
    groups: dict[tuple[int, int, str], list[RatingResult]] = defaultdict(list)
    for result in results:
        part = "household" if result.household_id is not None else result.kind
        groups[(result.run_id, result.village_id, part)].append(result)
    runs = RatingRun.objects.in_bulk({run_id for run_id, _, _ in groups})
    replays: dict[int, Replay] = {}
    for (run_id, village_id, part), members in groups.items():
        for replay in _replay_group(runs[run_id], village_id, part, members):
            replays[replay.result_id] = replay
    return [replays[r.pk] for r in results]


def _replay_group(
    run: RatingRun, village_id: int, part: str, results: list[RatingResult]
) -> list[Replay]:
    card_id = {
        SubjectKind.HOUSEHOLD: run.household_card_id,
        SubjectKind.ENTERPRISE: run.enterprise_card_id,
        SubjectKind.AGRICULTURAL: run.agricultural_card_id,
    }[SubjectKind(results[0].kind)]
    card = engine_card(card_id)
    replays = {
        r.pk: Replay(
            result_id=r.pk,
            run_id=run.pk,
            subject=(
                f"农户#{r.household_id}" if r.household_id else f"经营主体#{r.business_entity_id}"
            ),
            card_version=card.version,
            stored_grade=r.grade,
            stored_score=r.score,
        )
        for r in results
    }
    read = (
        RatingChunk.objects.filter(run=run, village_id=village_id)
        .values_list("archive_reads", flat=True)
        .first()
        or {}
    ).get(part)
    if not read:
        for replay in replays.values():
            replay.problem = "该评级任务没有记录档案读取快照（早于档案历史），无法重建"
        return list(replays.values())
    for replay in replays.values():
        if run.simulation:
            replay.notes.append("模拟测算可能使用了之后仍被修改的草稿评分卡")
    stored = {(r.household_id or r.business_entity_id): r for r in results}
    rebuilt: dict[int, tuple[dict[str, Any], engine.RatingResult]] = {}
    with archive_as_of(read, part=part, ids=list(stored)):
        if part == "household":
            for row in household_rows(
                village_id=village_id, as_of=run.as_of, household_ids=list(stored)
            ):
                if row.archive is not None:
                    features = engine.household_features(row.archive, card.rules)
                    rebuilt[row.household_id] = (
                        features,
                        engine.score(card, features, explain=False),
                    )
        else:
            for entity in entity_rows(village_id=village_id, entity_ids=list(stored)):
                if entity.category == part:
                    features = engine.enterprise_features(entity.archive, card.rules)
                    rebuilt[entity.entity_id] = (
                        features,
                        engine.score(card, features, explain=False),
                    )
    for subject, result in stored.items():
        replay = replays[result.pk]
        if subject not in rebuilt:
            replay.problem = "按当时的档案，该对象不在评级范围内（未找到、已销户或未授权）"
            continue
        features, again = rebuilt[subject]
        replay.differences = compare(card, result, features, again)
        if result.engine_version != engine.ENGINE_VERSION:
            replay.notes.append(
                f"该结果由评分逻辑版本{result.engine_version or 1}评出，"
                f"本次按版本{engine.ENGINE_VERSION}重建"
            )
    return list(replays.values())


def compare(
    card: engine.Scorecard,
    stored: RatingResult,
    features: dict[str, Any],
    again: engine.RatingResult,
) -> list[Difference]:
    """Every difference between a stored result and the one rebuilt."""
    out: list[Difference] = []

    def differ(what: str, a: Any, b: Any) -> None:
        if not _same(a, b):
            out.append(Difference(what, _shown(a), _shown(b)))

    differ("总分", stored.score, again.score)
    differ("等级", stored.grade, again.grade)
    differ("一票否决", list(stored.knock_outs), [r.code for r in again.knock_outs])
    differ("缺失指标", list(stored.missing), list(again.missing))
    differ("标记", list(stored.flags), [r.code for r in again.flags])
    labels = [i.label for i in card.indicators] + [a.label for a in card.adjustments]
    if stored.points is not None:
        for label, a, b in _pairs(labels, stored.points, engine.points_of(again)):
            differ(f"得分：{label}", a, b)
    if stored.codes is not None:
        codes = engine.codes_of(card, again)
        n = len(card.indicators)
        bands = _pairs(labels[:n], stored.codes[:n], codes[:n])
        hints = _pairs(labels[:n], stored.codes[n:], codes[n:])
        for label, a, b in bands:
            differ(f"档位：{label}", a, b)
        for label, a, b in hints:
            differ(f"提示：{label}", a, b)
    value_order, _ = breakdown_order(card)
    kept = kept_values(card, stored.breakdown, stored.feature_values)
    for feature in value_order:
        differ(f"取值：{feature}", _number(kept.get(feature)), _number(features.get(feature)))
    return out


def _pairs(labels: Sequence[str], a: Sequence[Any], b: Sequence[Any]) -> list[tuple[str, Any, Any]]:
    size = max(len(a), len(b))
    pad = [*labels, *(f"#{i}" for i in range(len(labels), size))]
    return [
        (pad[i], a[i] if i < len(a) else None, b[i] if i < len(b) else None) for i in range(size)
    ]


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    if isinstance(value, frozenset | set | tuple):
        return sorted(value)
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal | int) and isinstance(b, Decimal | int) and not isinstance(a, bool):
        a, b = Decimal(a), Decimal(b)
        if not (a.is_finite() and b.is_finite()):
            return a == b
        return abs(a - b) <= TOLERANCE * max(1, abs(a))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(_shown(v) for v in value) or "（无）"
    if value is None:
        return "（无）"
    return str(value)


# --- the archive as of a chunk's read ----------------------------------------------------------

# the archive tables each part of a chunk reads, and how an event row belongs to the subjects
_PARTS: dict[str, tuple[tuple[type[models.Model], str], ...]] = {
    "household": (
        (Household, "pgh_obj_id"),
        (Member, "household_id"),
        (WatchlistMatch, "household_id"),
    ),
    "entity": ((BusinessEntity, "pgh_obj_id"), (WatchlistEntityMatch, "business_entity_id")),
}


def history_tables(part: str) -> list[type[models.Model]]:
    """The archive tables shown as of a read for ``part`` ("household" or an entity
    category)."""
    key = "household" if part == "household" else "entity"
    return [model for model, _ in _PARTS[key]]


@contextmanager
def archive_as_of(read: Sequence[Any], *, part: str, ids: Sequence[int]) -> Iterator[None]:
    """Inside: the archive tables ``part`` reads show, for the subjects ``ids``, their rows
    as of ``read`` (a chunk's ``archive_reads`` entry: snapshot, own transaction id, clock) —
    temporary tables shadowing the tables in a transaction that is rolled back on leaving.

    Tables, analysed, rather than views: the reader joins the households to their members
    and list matches, and over views of the history the planner had no row counts — it
    guessed one row each and nested its loops, a village's few hundred households times
    their members (a thousand results rebuilt in 15 s; as tables, with their counts, the
    joins hash)."""
    snapshot, own_xid, at = read
    key = "household" if part == "household" else "entity"
    with transaction.atomic(), connection.cursor() as cursor:
        for model, link in _PARTS[key]:
            history = ARCHIVE_HISTORY[model]
            columns = [
                f.column for f in history._meta.concrete_fields if not f.name.startswith("pgh_")
            ]
            listed = ", ".join(columns)
            # the subjects' objects: every event of any object that ever belonged to them
            objects = (
                "%(ids)s::bigint[]"
                if link == "pgh_obj_id"
                else f"ARRAY(SELECT DISTINCT pgh_obj_id FROM {history._meta.db_table} "  # noqa: S608
                f"WHERE {link} = ANY(%(ids)s::bigint[]))"
            )
            cursor.execute(
                f"CREATE TEMPORARY TABLE {model._meta.db_table} AS "  # noqa: S608
                f"SELECT pgh_obj_id AS id, {listed} FROM ("
                f"SELECT DISTINCT ON (pgh_obj_id) * FROM {history._meta.db_table} "
                f"WHERE pgh_obj_id = ANY({objects}) "
                # the chunk's own transaction: what it wrote before the read (a snapshot
                # does not tell: its own id may lie at or beyond the snapshot's horizon);
                # any other: committed as of the statement's snapshot
                "AND CASE WHEN pgh_xid::text = %(own)s THEN pgh_created_at <= %(at)s "
                "ELSE pg_visible_in_snapshot(pgh_xid::text::xid8, %(snapshot)s::pg_snapshot) END "
                "ORDER BY pgh_obj_id, pgh_id DESC) e WHERE e.pgh_label <> 'delete'",
                {"ids": list(ids), "snapshot": snapshot, "own": own_xid, "at": at},
            )
            cursor.execute(f"ANALYZE pg_temp.{model._meta.db_table}")
        try:
            yield
        finally:
            transaction.set_rollback(True)


__all__ = [
    "Difference",
    "Replay",
    "ReplayUnavailable",
    "archive_as_of",
    "history_tables",
    "results_replay",
    "results_sample",
]
