"""What-if simulation (模拟测算): rate a scope with draft cards and/or a draft credit policy
through the very batch machinery of a real run, never publish, and compare with what is current.

The run is a rating run in simulation mode (``rating.runs.rating_simulation_start``): chunks
per village on the workers, results and — through credit's chunk step — lines, written under
the simulation's run id. It ends "simulated", so no current rating or line changes. The report
compares the simulation's results and lines with the current ones, per village and township,
in set-based SQL.

This module starts one (``simulation_start``); ``credit.simulation_selectors`` reads the
report and who may see which simulation, ``credit.simulation_exports`` writes the workbook.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from credit.models import CreditPolicyVersion, CreditSimulation, PolicyStatus
from fuxiang.accounts import roles
from fuxiang.accounts.models import User
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, PermissionDenied
from rating import runs
from rating.models import Scorecard


def simulation_start(
    *,
    actor: User | None,
    scope: str,
    as_of: date,
    scope_ids: list[int] | None = None,
    cards: dict[str, Scorecard] | None = None,
    policy: CreditPolicyVersion | None = None,
    dispatch: bool = True,
) -> CreditSimulation:
    """Start a what-if. Head office may use any card or policy version, drafts included; a
    branch manager only approved ones, over their branch's grids and villages."""
    if policy is not None:
        if policy.status == PolicyStatus.REJECTED:
            raise DomainError({"policy": "已退回的授信政策不能用于模拟测算"})
        if policy.status != PolicyStatus.APPROVED and not roles.can_approve_policy(actor):
            raise PermissionDenied({"policy": "只有总行可以用未批准的授信政策进行模拟测算"})
    with transaction.atomic():
        run = runs.rating_simulation_start(
            actor=actor,
            scope=scope,
            as_of=as_of,
            scope_ids=scope_ids or [],
            cards=cards,
            dispatch=dispatch,
        )
        simulation = CreditSimulation.objects.create(run=run, policy=policy, started_by=actor)
        audit_record(
            action=AuditAction.CREDIT_SIMULATION,
            actor=actor,
            target=simulation,
            target_label=str(simulation),
            details={
                "run": run.pk,
                "scope": run.scope_label,
                "cards": {k: c.version for k, c in (cards or {}).items()},
                "policy": policy.version if policy else "",
            },
        )
    return simulation
