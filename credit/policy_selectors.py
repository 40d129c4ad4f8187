"""Reads of credit policy versions: the one in force on a day, the list, the one a version
replaces (for the diff).

The version in force on a day is the approved one with the latest ``effective_from`` on or
before it; drafts, submitted and rejected versions are never in force.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Q, QuerySet

from credit.models import CreditPolicyVersion, PolicyStatus
from fuxiang.audit.models import AuditAction
from fuxiang.audit.selectors import audit_actors
from fuxiang.makerchecker import Touch


def policy_versions() -> QuerySet[CreditPolicyVersion]:
    """Every version, the latest effective date first, with the people who handled it."""
    return CreditPolicyVersion.objects.select_related(
        "created_by", "submitted_by", "reviewed_by"
    ).order_by("-effective_from", "-id")


def approved_policies() -> QuerySet[CreditPolicyVersion]:
    return CreditPolicyVersion.objects.filter(status=PolicyStatus.APPROVED)


def policy_in_force(
    as_of: date, *, approved_by: datetime | None = None
) -> CreditPolicyVersion | None:
    """The approved version in force on ``as_of`` (None before the first one) — among those
    approved by ``approved_by``, when given (versions seeded without a review time count as
    always approved)."""
    versions = approved_policies().filter(effective_from__lte=as_of)
    if approved_by is not None:
        versions = versions.filter(Q(reviewed_at__isnull=True) | Q(reviewed_at__lte=approved_by))
    return versions.order_by("-effective_from").first()


def policy_latest_approved() -> CreditPolicyVersion | None:
    """The approved version with the latest effective date, in force or scheduled."""
    return approved_policies().order_by("-effective_from").first()


def policy_previous_approved(version: CreditPolicyVersion) -> CreditPolicyVersion | None:
    """The approved version that ``version`` follows: the latest approved one taking effect
    before it. For a draft that is the version it would replace on its date."""
    return (
        approved_policies()
        .filter(effective_from__lt=version.effective_from)
        .exclude(pk=version.pk)
        .order_by("-effective_from")
        .first()
    )


def policy_touched_by(version: CreditPolicyVersion) -> dict[Touch, set[int | None]]:
    """Who drafted, edited and submitted the version, in every round (an edit is audited as
    ``credit.policy_create`` marked ``edit``): the makers the maker-checker rule keeps from
    reviewing it."""
    return {
        Touch.CREATED: {version.created_by_id},
        Touch.EDITED: audit_actors(
            target=version, action=AuditAction.CREDIT_POLICY_CREATE, edit=True
        ),
        Touch.SUBMITTED: {version.submitted_by_id}
        | audit_actors(target=version, action=AuditAction.CREDIT_POLICY_SUBMIT),
    }
