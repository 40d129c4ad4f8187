"""The rating engine (评级): scorecards as data, features in, a reasoned result out.

Pure Python — no Django, no ORM, no settings, no clock. The caller passes plain values and
``as_of``; the same inputs always give the same result, so a batch chunk can simply run again.

- A ``Scorecard`` has blocks of ``Indicator``\\ s. An indicator reads one *feature* and scores it
  by numeric ``Bin``\\ s or by ``Category`` values. Bins are half-open ``[low, high)`` (``None`` =
  open end); an indicator with ``right_closed=True`` uses ``(low, high]``, which is how "debt
  ratio ≤ 30%" is written without fudging the boundary. Bins must cover every value.
- ``Adjustment``\\ s add or deduct points per unit of a count (honours, public-record
  deductions); the total is then clamped to the card's ``[min_score, max_score]``.
- ``KnockOut`` rules put a subject into the lowest grade band (no credit) whatever its score.
- ``Flag``\\ s mark a subject for later steps (低保/脱贫 → preferential pricing); they never
  change the score.
- Features are computed in one place, :func:`household_features` and :func:`enterprise_features`
  (``rating/features.py``); ``FEATURE_CATALOGUE`` lists the features a card may refer to.
  Where computing one is a choice (labour weights, the debt ratio of a subject with neither
  assets nor debt) the card states it: ``Scorecard.feature_rules`` (``FeatureRules``), passed
  to the feature functions as ``card.rules``.
- The seeded default cards (docs/design.md §4.5) are data in ``rating/default_cards.py``.
"""

from __future__ import annotations

from rating.engine.cards import (
    Adjustment,
    Bin,
    Block,
    Category,
    Flag,
    GradeBand,
    Indicator,
    KnockOut,
    Scorecard,
    ScorecardError,
    validate_scorecard,
)
from rating.engine.scoring import (
    ENGINE_VERSION,
    NO_BAND,
    RatingResult,
    codes_of,
    explain_stored,
    hint_target,
    points_of,
    score,
)
from rating.engine.serialization import card_from_json, card_to_json

# Features are computed in rating/features.py (kept apart only for size); the engine is their
# public entry point, so callers import everything rating needs from here.
from rating.features import (
    FEATURE_CATALOGUE,
    IMPLICIT_ENTITY_RULES,
    IMPLICIT_HOUSEHOLD_RULES,
    INFINITY,
    EnterpriseArchive,
    FeatureRules,
    HouseholdArchive,
    age_on,
    enterprise_features,
    household_features,
)

__all__ = [
    "ENGINE_VERSION",
    "FEATURE_CATALOGUE",
    "IMPLICIT_ENTITY_RULES",
    "IMPLICIT_HOUSEHOLD_RULES",
    "INFINITY",
    "NO_BAND",
    "Adjustment",
    "Bin",
    "Block",
    "Category",
    "EnterpriseArchive",
    "FeatureRules",
    "Flag",
    "GradeBand",
    "HouseholdArchive",
    "Indicator",
    "KnockOut",
    "RatingResult",
    "Scorecard",
    "ScorecardError",
    "age_on",
    "card_from_json",
    "card_to_json",
    "codes_of",
    "enterprise_features",
    "explain_stored",
    "hint_target",
    "household_features",
    "points_of",
    "score",
    "validate_scorecard",
]
