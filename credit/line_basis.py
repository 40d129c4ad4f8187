"""What the two paths writing credit lines share: the columns of a line, the policy version a
run grants under, the grades that grant credit, the validity arithmetic."""

from __future__ import annotations

import calendar
import functools
from datetime import date, datetime

from credit import engine
from credit.models import (
    CreditPolicyVersion,
    CreditSimulation,
    LineStatus,
)
from credit.policy_selectors import policy_in_force
from rating.batch import card_stamp, engine_card
from rating.models import RatingRun

LINE_COLUMNS = (
    "run_id",
    "village_id",
    "rating_result_id",
    "household_id",
    "business_entity_id",
    "policy_id",
    "override_id",
    "grade",
    "amount",
    "online_eligible",
    "cap",
    "by_income",
    "by_assets",
    "binding",
    "rate_bp",
    "lpr_bp",
    "spread_bp",
    "deposit_bp",
    "payroll_bp",
    "mobile_bp",
    "clean_bp",
    "cap_back_bp",
    "low_income_bp",
    "floor_bp",
    "ceiling_bp",
    "valid_from",
    "valid_to",
    "status",
    "status_reason",
    "status_changed_at",
)
CARRIED = (LineStatus.SUSPENDED, LineStatus.REVOKED)  # their validity carries over too


class NoPolicy(Exception):
    """No approved credit policy is in force on the run's date."""


def policy_for(run: RatingRun) -> CreditPolicyVersion:
    """The approved policy version in force on the run's as-of date — or, for a what-if, the
    version the simulation names (a draft, for head office). Only versions approved before the
    run started count, so every chunk of a run grants under the same version whichever worker
    rates it and whenever (a version approved meanwhile applies from the next run); each
    worker looks it up once per run."""
    return _policy_of_run(run.pk, run.created_at, run.as_of, run.simulation)


@functools.lru_cache(maxsize=16)
def _policy_of_run(
    run_id: int, created_at: datetime, as_of: date, simulation: bool
) -> CreditPolicyVersion:
    if simulation:
        chosen = (
            CreditSimulation.objects.filter(run_id=run_id).values_list("policy", flat=True).first()
        )
        if chosen is not None:
            return CreditPolicyVersion.objects.get(pk=chosen)
    version = policy_in_force(as_of, approved_by=created_at)
    if version is None:
        raise NoPolicy(f"{as_of:%Y-%m-%d}没有生效的授信政策")
    return version


def policy_terms(run: RatingRun) -> engine.CreditPolicy:
    """The terms of ``policy_for(run)``, parsed once per run and worker. Parsing checks the
    whole price grid for inversions (a few hundred rates: most of a chunk's Python time when
    it ran at every village); the version a run grants under never changes while it runs."""
    return _terms_of_run(run.pk, run.created_at, run.as_of, run.simulation)


@functools.lru_cache(maxsize=16)
def _terms_of_run(
    run_id: int, created_at: datetime, as_of: date, simulation: bool
) -> engine.CreditPolicy:
    return _policy_of_run(run_id, created_at, as_of, simulation).policy


def granting_grades(run: RatingRun) -> dict[str, list[str]]:
    """Per subject kind, the grades whose band grants credit on the run's cards."""
    cards = {
        "household": run.household_card_id,
        "enterprise": run.enterprise_card_id,
        "agricultural": run.agricultural_card_id,
    }
    return {
        kind: [b.grade for b in engine_card(card_id, card_stamp(run)).grades if b.grants_credit]
        for kind, card_id in cards.items()
    }


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, the day clamped to the month's end (as PostgreSQL's
    ``date + interval 'n months'``)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


LOW_INCOME_FLAGS = frozenset({"dibao", "poverty_alleviated"})
