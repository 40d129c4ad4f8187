"""The credit engines (授信与定价): a policy as data, the limit, the rate, the plain words.

Pure Python — no Django, no ORM, no settings, no clock; the same inputs always give the same
result (docs/design.md §4.6).

- A ``CreditPolicy`` is one version of the numbers: grade caps, income and net-asset multiples,
  rounding, the online product range, validity, LPR, grade spreads, contribution discounts and
  their cap, the low-income preference, floor and ceiling. ``policy_from_json`` reads one and
  checks it (``PolicyError`` with Chinese messages per field); ``policy_to_json`` writes it;
  ``policy_diff`` lists what changed between two versions. ``DEFAULT_POLICY`` is §4.6.
- ``credit_limit`` gives min(grade cap, income × multiple, net assets × multiple) rounded down,
  never negative, with a trace of ``Term``\\ s and a Chinese reason; a business entity's on its
  own basis (``limit_basis``: the policy's entity caps, net operating profit
  ``entity_net_profit`` and net assets).
- ``credit_rate`` gives the rate in basis points with a trace whose terms always add up to it;
  ``grade_inversions`` finds any household a policy would price higher at a better grade
  (``validate_policy`` refuses such a policy).
- ``plain_words`` turns both results into sentences a villager understands.
- ``override_outlived`` says whether an approved override still applies after a new rating
  (the grade and cap it was approved under, ``ApprovedUnder``).
"""

from __future__ import annotations

from credit.engine.formatting import bp_to_rate, percentage_points, rate_percent, yuan, yuan_words
from credit.engine.limits import (
    ENTITY,
    HOUSEHOLD,
    SHARED_LINE_KINDS,
    LimitBasis,
    LimitInputs,
    LimitResult,
    Term,
    credit_limit,
    entity_net_profit,
    limit_basis,
    shares_household_line,
    terms_from_json,
    terms_to_json,
)
from credit.engine.overrides import ApprovedUnder, grade_rank, override_outlived
from credit.engine.policy import (
    ENTITY_FIELDS,
    ENTITY_KINDS,
    FIELD_LABELS,
    GRADES,
    NO_CREDIT_GRADES,
    NON_FIELD_ERRORS,
    CreditPolicy,
    FrozenMapping,
    PolicyError,
    policy_in_force,
)
from credit.engine.policy_checks import validate_policy
from credit.engine.policy_diff import policy_diff
from credit.engine.policy_json import (
    DEFAULT_POLICY,
    DEFAULT_POLICY_JSON,
    policy_from_json,
    policy_to_json,
)
from credit.engine.pricing import (
    RATE_TERM_LABELS,
    GradeInversion,
    NoCredit,
    PriceInputs,
    RateResult,
    credit_rate,
    grade_inversions,
    plain_words,
)

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_POLICY_JSON",
    "ENTITY",
    "ENTITY_FIELDS",
    "ENTITY_KINDS",
    "FIELD_LABELS",
    "GRADES",
    "HOUSEHOLD",
    "NON_FIELD_ERRORS",
    "NO_CREDIT_GRADES",
    "RATE_TERM_LABELS",
    "SHARED_LINE_KINDS",
    "ApprovedUnder",
    "CreditPolicy",
    "FrozenMapping",
    "GradeInversion",
    "LimitBasis",
    "LimitInputs",
    "LimitResult",
    "NoCredit",
    "PolicyError",
    "PriceInputs",
    "RateResult",
    "Term",
    "bp_to_rate",
    "credit_limit",
    "credit_rate",
    "entity_net_profit",
    "grade_inversions",
    "grade_rank",
    "limit_basis",
    "override_outlived",
    "percentage_points",
    "plain_words",
    "policy_diff",
    "policy_from_json",
    "policy_in_force",
    "policy_to_json",
    "rate_percent",
    "shares_household_line",
    "terms_from_json",
    "terms_to_json",
    "validate_policy",
    "yuan",
    "yuan_words",
]
