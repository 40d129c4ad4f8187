"""Reads of scorecards, runs and results."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from fuxiang.accounts import roles
from fuxiang.accounts.models import Role
from fuxiang.audit.models import AuditAction
from fuxiang.audit.selectors import audit_actors
from fuxiang.makerchecker import Touch
from households.selectors import villages_visible_to
from rating import engine
from rating.models import (
    ACTIVE_RUN_STATUSES,
    CurrentRating,
    RatingChunk,
    RatingResult,
    RatingRun,
    RunScope,
    Scorecard,
    ScorecardStatus,
    SubjectKind,
)
from rating.results_sql import breakdown_decode


def scorecard_active(kind: str) -> Scorecard | None:
    """The card in force for a subject kind (the approved one), or None if there is none."""
    return (
        Scorecard.objects.select_related("approved_by")
        .filter(kind=kind, status=ScorecardStatus.APPROVED)
        .first()
    )


def scorecard_touched_by(scorecard: Scorecard) -> dict[Touch, set[int | None]]:
    """Who drafted, edited and submitted the card, in every round (a card sent back and
    submitted again keeps its earlier submitters): the makers the maker-checker rule keeps
    from reviewing it."""
    return {
        Touch.CREATED: {scorecard.created_by_id},
        Touch.EDITED: audit_actors(target=scorecard, action=AuditAction.SCORECARD_UPDATE),
        Touch.SUBMITTED: {scorecard.submitted_by_id}
        | audit_actors(target=scorecard, action=AuditAction.SCORECARD_SUBMIT),
    }


def rating_run_active() -> RatingRun | None:
    """The run holding the lane (pending, running or publishing), if any."""
    return RatingRun.objects.filter(lane="rating", status__in=ACTIVE_RUN_STATUSES).first()


def rating_runs_visible_to(user: Any) -> QuerySet[RatingRun]:
    """The runs the user may see (their pages, progress and grade counts); any other run does
    not exist for them (404), like an archive outside their scope.

    - Head office and auditors: every run.
    - A branch manager: the runs whose every village lies in their branch (their own runs,
      another manager's of the same branch, re-ratings of their households) — a what-if only
      if they started it — and the county's real runs, read-only (they rate the branch too;
      the county-wide counts name nobody).
    - Officers and everyone else: none (they see their households' grades on the households'
      pages)."""
    runs = RatingRun.objects.all()
    if roles.sees_everything(user):
        return runs
    if not roles.can_start_rating(user) or user.role != Role.BRANCH_MANAGER:
        return runs.none()
    outside = RatingChunk.objects.filter(run=OuterRef("pk")).exclude(
        village__in=villages_visible_to(user).values("pk")
    )
    real = Q(simulation=False)
    within = ~Exists(outside) & (real | Q(started_by=user))
    return runs.filter(within | (real & Q(scope=RunScope.COUNTY)))


RUN_KINDS = {
    # county, township, grid and village runs
    "batch": "批量评级",
    # one household's (or a few subjects') re-rating: after an archive change or an override
    "single": "单户重评与人工调整生效",
}


def rating_runs_recent(*, user: Any, kind: str = "batch", limit: int = 20) -> QuerySet[RatingRun]:
    """The user's most recent visible runs of one kind (``RUN_KINDS``), newest first. What-if
    runs are never listed here: they belong to 模拟测算."""
    runs = rating_runs_visible_to(user).filter(simulation=False)
    if kind == "single":
        runs = runs.filter(scope=RunScope.SUBJECTS)
    else:
        runs = runs.exclude(scope=RunScope.SUBJECTS)
    return runs.select_related("started_by").order_by("-created_at", "-id")[:limit]


def current_rating_of_household(household_id: int) -> CurrentRating | None:
    return (
        CurrentRating.objects.select_related("result", "run")
        .filter(household_id=household_id)
        .first()
    )


def rating_history_of_household(household_id: int) -> QuerySet[RatingResult]:
    """Every result of the household, newest run first (published or not: callers filter)."""
    return (
        RatingResult.objects.select_related("run")
        .filter(household_id=household_id)
        .order_by("-run__created_at", "-run_id")
    )


def result_card(result: RatingResult) -> engine.Scorecard:
    """The card (engine form) a result was scored with: its run's card for its kind."""
    run = result.run
    card_id = {
        SubjectKind.HOUSEHOLD: run.household_card_id,
        SubjectKind.ENTERPRISE: run.enterprise_card_id,
        SubjectKind.AGRICULTURAL: run.agricultural_card_id,
    }[SubjectKind(result.kind)]
    return Scorecard.objects.get(pk=card_id).card


def result_breakdown(result: RatingResult) -> tuple[dict[str, Any], dict[str, Any]]:
    """A result's breakdown as ({feature: value used}, {feature: points}); money and ratios
    are exact decimal strings, the points those the run stored."""
    return breakdown_decode(
        result_card(result), result.breakdown, result.points, result.feature_values
    )


def result_explain(result: RatingResult) -> engine.RatingResult:
    """The full explanation of a stored result (what raised and lowered it, how to improve
    it) read from what its run stored — points, bands, hint targets, knock-out and flag codes
    — with the texts of its run's card; never scored again, so a later change of the scoring
    logic does not change what a villager or an officer is told about an earlier grade.
    (Results stored before points were are scored again from the values kept.)"""
    card = result_card(result)
    values, _ = breakdown_decode(card, result.breakdown, result.points, result.feature_values)
    if result.points is None or result.codes is None:
        return engine.score(card, values, explain=True)
    return engine.explain_stored(
        card,
        values=values,
        points=result.points,
        codes=result.codes,
        score=result.score,
        grade=result.grade,
        knock_out_codes=result.knock_outs,
        flag_codes=result.flags,
        missing=result.missing,
    )
