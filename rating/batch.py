"""Rating one village of a run in one go: read its archives in bulk, compute features, score
with ``explain=False`` and build the result rows — the hot path of a county run (about 230,000
subjects), kept free of per-subject queries and ORM objects."""

from __future__ import annotations

import functools
from typing import Any

from households.models import EntityCategory
from rating import engine
from rating.features_sql import entity_rows, household_rows
from rating.models import RatingRun, RunScope, Scorecard
from rating.results_sql import breakdown_order, result_row


def rate_village(run: RatingRun, village_id: int) -> tuple[list[tuple[Any, ...]], int]:
    """Rate every subject of a run in one village: (result rows, households skipped). Two
    reads of the archive, whatever the number of households."""
    household_card = engine_card(run.household_card_id)
    entity_cards = {
        EntityCategory.ENTERPRISE: engine_card(run.enterprise_card_id),
        EntityCategory.AGRICULTURAL: engine_card(run.agricultural_card_id),
    }
    household_order = breakdown_order(household_card)[0]
    entity_orders = {c: breakdown_order(card)[0] for c, card in entity_cards.items()}
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
        for row in household_rows(village_id=village_id, as_of=run.as_of, household_ids=ids):
            if row.archive is None:
                skipped += 1
                continue
            features = household_features(row.archive)
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
                )
            )
    if not subjects or run.entity_ids:
        ids = run.entity_ids if subjects else None
        for entity in entity_rows(village_id=village_id, entity_ids=ids):
            features = enterprise_features(entity.archive)
            category = EntityCategory(entity.category)
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
                )
            )
    return rows, skipped


@functools.lru_cache(maxsize=32)
def engine_card(scorecard_id: int) -> engine.Scorecard:
    """Approved and retired cards never change (a trigger guards them), so caching the parsed
    card by id for the life of the worker is safe."""
    return Scorecard.objects.get(pk=scorecard_id).card
