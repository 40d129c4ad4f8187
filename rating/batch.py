"""Rating one village of a run in one go: read its archives in bulk, compute features, score
with ``explain=False`` and build the result rows — the hot path of a county run (about 230,000
subjects), kept free of per-subject queries and ORM objects."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

from django.db import connection

from fuxiang import prepared
from households.models import EntityCategory, Household, HouseholdStatus
from rating import engine, features_sql, scoring_sql
from rating.features_sql import entity_rows, household_rows
from rating.models import RatingRun, RunScope, Scorecard
from rating.results_sql import (
    archive_read_mark,
    breakdown_order,
    result_row,
    results_write,
    rows_counts,
)


class VillageRated(NamedTuple):
    """A village rated: subjects rated, households skipped, and the results counted as
    ``results_sql.results_counts`` counts them."""

    rated: int
    skipped: int
    counts: list[list[Any]]


def village_rate(run: RatingRun, village_id: int) -> VillageRated:
    """Rate every subject of a run in one village and write the results (the caller holds
    the chunk's transaction and has removed any earlier results). On PostgreSQL the cards
    compiled to SQL do it inside the database; otherwise (SQLite, or a card the compiler
    does not translate) the Python engine does."""
    compiled = compiled_cards(run)
    if compiled is not None:
        return rate_village_sql(run, village_id, compiled)
    rows, skipped = rate_village(run, village_id)
    results_write(rows)
    return VillageRated(len(rows), skipped, rows_counts(rows))


def rate_village(run: RatingRun, village_id: int) -> tuple[list[tuple[Any, ...]], int]:
    """Rate every subject of a run in one village: (result rows, households skipped). Two
    reads of the archive, whatever the number of households."""
    stamp = card_stamp(run)
    household_card = engine_card(run.household_card_id, stamp)
    entity_cards = {
        EntityCategory.ENTERPRISE: engine_card(run.enterprise_card_id, stamp),
        EntityCategory.AGRICULTURAL: engine_card(run.agricultural_card_id, stamp),
    }
    household_order = breakdown_order(household_card)[0]
    entity_orders = {c: breakdown_order(card)[0] for c, card in entity_cards.items()}
    household_rules = household_card.rules
    entity_rules = {c: card.rules for c, card in entity_cards.items()}
    subjects = run.scope == RunScope.SUBJECTS
    rows: list[tuple[Any, ...]] = []
    skipped = 0
    score, household_features, enterprise_features = (
        engine.score,
        engine.household_features,
        engine.enterprise_features,
    )
    if not subjects or run.household_ids:
        ids = run.household_ids if subjects else None
        archive_read_mark(run_id=run.pk, village_id=village_id, part="household")
        for row in household_rows(village_id=village_id, as_of=run.as_of, household_ids=ids):
            if row.archive is None:
                skipped += 1
                continue
            features = household_features(row.archive, household_rules)
            result = score(household_card, features, explain=False)
            rows.append(
                result_row(
                    run_id=run.pk,
                    village_id=village_id,
                    household_id=row.household_id,
                    entity_id=None,
                    result=result,
                    features=features,
                    value_order=household_order,
                    card=household_card,
                )
            )
    if not subjects or run.entity_ids:
        ids = run.entity_ids if subjects else None
        for part in (EntityCategory.ENTERPRISE, EntityCategory.AGRICULTURAL):
            archive_read_mark(run_id=run.pk, village_id=village_id, part=str(part))
        for entity in entity_rows(village_id=village_id, entity_ids=ids):
            category = EntityCategory(entity.category)
            features = enterprise_features(entity.archive, entity_rules[category])
            result = score(entity_cards[category], features, explain=False)
            rows.append(
                result_row(
                    run_id=run.pk,
                    village_id=village_id,
                    household_id=None,
                    entity_id=entity.entity_id,
                    result=result,
                    features=features,
                    value_order=entity_orders[category],
                    card=entity_cards[category],
                )
            )
    return rows, skipped


@functools.lru_cache(maxsize=32)
def engine_card(scorecard_id: int, stamp: str = "") -> engine.Scorecard:
    """Approved and retired cards never change (a trigger guards them), so caching the parsed
    card by id for the life of the worker is safe. A what-if may use a draft, which can be
    edited: its runs pass their own ``stamp`` (``card_stamp``), so a later simulation reads
    the draft afresh."""
    return Scorecard.objects.get(pk=scorecard_id).card


def card_stamp(run: RatingRun) -> str:
    return f"simulation-{run.pk}" if run.simulation else ""


# --- the compiled path (PostgreSQL) -----------------------------------------------------------


def compiled_cards(run: RatingRun) -> dict[str, scoring_sql.CompiledCard] | None:
    """The run's cards compiled to SQL, or ``None`` where the Python path must rate (not
    PostgreSQL, or a card the compiler does not translate)."""
    if connection.vendor != "postgresql":
        return None
    stamp = card_stamp(run)
    cards = {
        "household": _compiled(run.household_card_id, "household", stamp),
        EntityCategory.ENTERPRISE: _compiled(run.enterprise_card_id, "entity", stamp),
        EntityCategory.AGRICULTURAL: _compiled(run.agricultural_card_id, "entity", stamp),
    }
    if any(c is None for c in cards.values()):
        return None
    return {k: c for k, c in cards.items() if c is not None}


@functools.lru_cache(maxsize=32)
def _compiled(scorecard_id: int, source: str, stamp: str) -> scoring_sql.CompiledCard | None:
    card = engine_card(scorecard_id, stamp)
    if source == "household":
        return scoring_sql.household_card(card)
    return scoring_sql.entity_card(card)


def _listed_in_run(column: str, field: str) -> str:
    """A subjects run's own list, read from the run's row in the statement (a re-rating after
    an import lists up to 10,000 households: sent once per village it would cost more than the
    rating)."""
    table = RatingRun._meta.db_table
    select = f"SELECT jsonb_array_elements_text(rr.{field})::bigint FROM {table} rr"  # noqa: S608
    return f"AND {column} IN ({select} WHERE rr.id = %(run)s)"


def rate_village_sql(
    run: RatingRun, village_id: int, cards: dict[str, scoring_sql.CompiledCard]
) -> VillageRated:
    """Rate every subject of a run in one village inside the database and write the results
    (the caller holds the chunk's transaction) — one statement (``scoring_sql.village_sql``),
    which also counts what it wrote and the households it skipped."""
    subjects = run.scope == RunScope.SUBJECTS
    params: dict[str, Any] = {
        "run": run.pk,
        "village": village_id,
        "as_of_year": run.as_of.year,
        "as_of_mmdd": run.as_of.month * 100 + run.as_of.day,
    }
    parts: list[scoring_sql.Part] = []
    skipped = "0"
    if not subjects or run.household_ids:
        where = _listed_in_run("h.id", "household_ids") if subjects else ""
        household = cards["household"]
        source = features_sql.household_features_sql(
            household.features, where, rules=household.rules
        )
        parts.append(scoring_sql.Part(household, source, "household_id", "household"))
        skipped = (
            f"SELECT COUNT(*) FROM {Household._meta.db_table} h "  # noqa: S608
            f"WHERE h.village_id = %(village)s {where} "
            f"AND (h.status = '{HouseholdStatus.CLOSED}' OR NOT h.rating_consent)"
        )
    if not subjects or run.entity_ids:
        where = _listed_in_run("e.id", "entity_ids") if subjects else ""
        for category in (EntityCategory.ENTERPRISE, EntityCategory.AGRICULTURAL):
            card = cards[category]
            source = features_sql.entity_features_sql(
                card.features, f"{where} AND e.category = '{category}'", rules=card.rules
            )
            parts.append(scoring_sql.Part(card, source, "business_entity_id", str(category)))
    if not parts:
        return VillageRated(0, 0, [])
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            scoring_sql.village_sql(parts, skipped),
            params,
            generic=True,  # the archives keep their size while a run reads them
        )
        rows = cursor.fetchall()
    counts: list[list[Any]] = sorted(
        [str(kind), str(grade), int(n), int(ko), int(inc)]
        for kind, grade, n, ko, inc in rows
        if kind is not None
    )
    skipped_n = sum(int(n) for kind, _, n, _, _ in rows if kind is None)
    return VillageRated(sum(int(c[2]) for c in counts), skipped_n, counts)
