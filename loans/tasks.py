"""Celery tasks of loans: thin wrappers; each imports its service in the body (services import
these tasks at the top, so there is no circle)."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def rebuild_whitelists(*, scope: dict[str, Any], reason: str) -> list[int]:
    """Rebuild the products' whitelists within ``scope`` (``whitelists.Scope.to_json``).
    Safe to run twice: a second run finds nothing changed."""
    from loans.whitelists import Scope, whitelists_rebuild

    versions = whitelists_rebuild(
        scope=Scope(
            everything=bool(scope.get("everything")),
            village_ids=tuple(scope.get("village_ids") or ()),
            household_ids=tuple(scope.get("household_ids") or ()),
            entity_ids=tuple(scope.get("entity_ids") or ()),
        ),
        reason=reason,
    )
    return [v.pk for v in versions]


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def rebuild_whitelists_for_run(*, run_id: int) -> list[int]:
    """After a rating run published: rebuild within what it rated."""
    from loans.whitelists import whitelists_rebuild_for_run

    return [v.pk for v in whitelists_rebuild_for_run(run_id=run_id)]


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def refresh_whitelists() -> list[int]:
    """Nightly (CELERY_BEAT_SCHEDULE): the whole county, and a fresh snapshot for every
    product (its expiry renewed) even when nothing changed."""
    from loans.whitelists import Scope, whitelists_rebuild

    versions = whitelists_rebuild(scope=Scope(everything=True), reason="每日刷新", renew=True)
    return [v.pk for v in versions]


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def mark_overdue() -> dict[str, int]:
    """Nightly (CELERY_BEAT_SCHEDULE): overdue instalments and loans, days past due, matured
    contracts, expired applications, and the borrowers' repayment fields."""
    from loans.applications import applications_expire
    from loans.overdue import loans_overdue_mark

    counts = loans_overdue_mark()
    counts["applications_expired"] = applications_expire()
    return counts


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def send_notice(*, member_id: int, template: str, params: dict[str, str]) -> str:
    """An SMS notice or signing code to a member's phone on file (``loans.notices``). A
    provider's refusal is logged, not retried (the next step asks for a new code)."""
    import logging

    from loans.notices import notice_deliver

    try:
        return notice_deliver(member_id=member_id, template=template, params=params)
    except OSError:
        raise
    except Exception as exc:  # the provider refused: logged without the number
        logging.getLogger(__name__).warning("SMS %s not sent: %s", template, exc)
        return "failed"


# The platform link's tasks live beside its services; importing them here registers them with
# the workers (Celery discovers ``loans.tasks``).
from loans.platform.tasks import (  # noqa: E402,F401
    import_platform_inbox,
    push_delivery,
    push_whitelists,
    reconcile_platforms,
)
