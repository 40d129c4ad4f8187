"""The daily reconciliation (对账): each platform's reported balances against the ledger, per
loan and per product. It lists differences and never writes the ledger; head office looks
into each and marks it resolved with a note (audited).

Compared, per platform, for every contract signed through it (its links) that is not ended
before the day: the platform's latest balance on or before the day against the ledger's
principal outstanding of the contract's loan. No balance reported: a difference
(平台未报送) when the ledger has something outstanding. Per product: the sums of both sides.
A difference still open from an earlier run is not listed twice: the open row is updated
with the new figures and run.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Min, Sum
from django.utils import timezone

from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError
from loans.models import (
    Difference,
    DifferenceKind,
    Loan,
    Platform,
    PlatformBalance,
    PlatformLink,
    ReconciliationRun,
)
from loans.platform.deliveries import _require_head_office

ZERO = Decimal("0.00")


def _note(
    run: ReconciliationRun,
    platform: Platform,
    kind: str,
    product_id: int,
    ledger: Decimal,
    reported: Decimal | None,
    contract_id: int | None = None,
    loan_id: int | None = None,
) -> None:
    open_row = Difference.objects.filter(
        platform=platform,
        kind=kind,
        product_id=product_id,
        contract_id=contract_id,
        resolved=False,
    ).first()
    if open_row is not None:
        open_row.run = run
        open_row.ledger_amount = ledger
        open_row.platform_amount = reported
        open_row.loan_id = loan_id
        open_row.save(update_fields=["run", "ledger_amount", "platform_amount", "loan"])
        return
    Difference.objects.create(
        run=run,
        platform=platform,
        kind=kind,
        product_id=product_id,
        contract_id=contract_id,
        loan_id=loan_id,
        ledger_amount=ledger,
        platform_amount=reported,
    )


@transaction.atomic
def reconcile(*, platform: Platform, day: date | None = None) -> ReconciliationRun:
    day = day or timezone.localdate()
    run = ReconciliationRun.objects.create(platform=platform, day=day)
    links = PlatformLink.objects.filter(
        platform=platform, kind=PlatformLink.Kind.CONTRACT, contract__isnull=False
    ).select_related("contract__product_version")
    contracts: dict[int, Any] = {
        link.contract_id: link.contract for link in links if link.contract_id is not None
    }
    outstanding: dict[int, Decimal] = {}
    first_loan: dict[int, int] = {}
    for row in (
        Loan.objects.filter(contract_id__in=list(contracts))
        .values("contract_id")
        .annotate(total=Sum("principal_outstanding"), first=Min("id"))
    ):
        outstanding[row["contract_id"]] = row["total"] or ZERO
        first_loan[row["contract_id"]] = row["first"]
    reported: dict[int, Decimal] = {}
    for balance in (
        PlatformBalance.objects.filter(
            platform=platform, as_of__lte=day, contract_id__in=list(contracts)
        )
        .order_by("contract_id", "-as_of")
        .values("contract_id", "principal_outstanding")
    ):
        reported.setdefault(balance["contract_id"], balance["principal_outstanding"])
    per_product: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    matched = differences = 0
    for contract_id, contract in contracts.items():
        product_id = contract.product_version.product_id
        ledger = outstanding.get(contract_id, ZERO)
        loan_id = first_loan.get(contract_id)
        theirs = reported.get(contract_id)
        per_product[product_id][0] += ledger
        per_product[product_id][1] += theirs if theirs is not None else ZERO
        if theirs is None:
            if ledger == ZERO:
                matched += 1
                continue
            kind = DifferenceKind.MISSING_ON_PLATFORM
        elif theirs == ledger:
            matched += 1
            continue
        else:
            kind = DifferenceKind.LOAN
        differences += 1
        _note(run, platform, kind, product_id, ledger, theirs, contract_id, loan_id)
    products: list[dict[str, Any]] = []
    for product_id, (ledger, theirs) in sorted(per_product.items()):
        products.append(
            {
                "product": product_id,
                "ledger": str(ledger),
                "platform": str(theirs),
                "equal": ledger == theirs,
            }
        )
        if ledger != theirs:
            differences += 1
            _note(run, platform, DifferenceKind.PRODUCT, product_id, ledger, theirs)
    run.contracts, run.matched, run.differences, run.products = (
        len(contracts),
        matched,
        differences,
        products,
    )
    run.save()
    audit_record(
        action=AuditAction.PLATFORM_RECONCILE,
        target=run,
        target_label=f"{platform.name} {day:%Y-%m-%d}",
        details={"contracts": run.contracts, "matched": matched, "differences": differences},
    )
    return run


def reconcile_all(day: date | None = None) -> list[ReconciliationRun]:
    return [reconcile(platform=p, day=day) for p in Platform.objects.filter(active=True)]


@transaction.atomic
def difference_resolve(
    *, actor: Any, difference: Difference, note: str, audit: AuditContext | None = None
) -> Difference:
    """Head office closes a difference with what it found (the ledger is not touched here:
    a correction is an ordinary repayment or an event re-sent by the platform)."""
    _require_head_office(actor)
    note = (note or "").strip()
    if len(note) < 2:
        raise DomainError({"note": "请填写处理说明"})
    difference = Difference.objects.select_for_update().get(pk=difference.pk)
    if difference.resolved:
        raise DomainError("该差异已处理", code="invalid_state")
    difference.resolved = True
    difference.resolved_by = actor
    difference.resolved_at = timezone.now()
    difference.note = note[:300]
    difference.save()
    audit_record(
        action=AuditAction.PLATFORM_RESOLVE,
        actor=actor,
        target=difference,
        target_label=str(difference),
        audit=audit,
        details={"note": difference.note, "kind": difference.kind},
    )
    return difference
