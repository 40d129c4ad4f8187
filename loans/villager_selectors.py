"""What a verified household's own channel (the QR lookup's result page, later the loan
platform) shows of its loans: the available amount, the products whose whitelist it is on,
its applications to sign, its contracts to draw on, its loans. Plain, picklable values (the
lookup caches the page); a few queries whatever the household holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from loans.borrowers import Borrower, line_usable
from loans.drawdowns import draw_window_passed
from loans.engine.schedules import METHOD_LABELS
from loans.engine.states import LIVE_CONTRACT_STATES, OPEN_LOAN_STATES
from loans.ledger_selectors import borrower_position
from loans.models import (
    Instalment,
    Loan,
    LoanApplication,
    LoanContract,
    LoanProductVersion,
    VersionStatus,
    WhitelistEntry,
)


@dataclass(frozen=True)
class ProductOffer:
    code: str
    name: str
    description: str
    min_amount: Decimal
    max_amount: Decimal
    terms_months: tuple[int, ...]
    methods: tuple[tuple[str, str], ...]
    online: bool
    collateral: bool

    @property
    def range_text(self) -> str:
        return f"{self.min_amount / 10000:g}万–{self.max_amount / 10000:g}万元"


@dataclass(frozen=True)
class ApplicationRow:
    id: int
    product: str
    amount: Decimal
    status: str
    status_label: str


@dataclass(frozen=True)
class ContractRow:
    id: int
    number: str
    product: str
    amount: Decimal
    method: str
    maturity: date
    drawable: Decimal  # what may be drawn now (0: nothing)


@dataclass(frozen=True)
class LoanRow:
    number: str
    contract_id: int
    outstanding: Decimal
    status_label: str
    next_due: date | None
    next_payment: Decimal | None


@dataclass(frozen=True)
class Offer:
    available: Decimal
    products: tuple[ProductOffer, ...]
    applications: tuple[ApplicationRow, ...]
    contracts: tuple[ContractRow, ...]
    loans: tuple[LoanRow, ...]

    @property
    def available_text(self) -> str:
        return f"{self.available:,.0f}"


def product_offer(version: LoanProductVersion) -> ProductOffer:
    return ProductOffer(
        code=version.product.code,
        name=version.product.name,
        description=version.product.description,
        min_amount=version.min_amount,
        max_amount=version.max_amount,
        terms_months=tuple(int(t) for t in version.terms_months),
        methods=tuple((m, METHOD_LABELS.get(m, m)) for m in version.repayment_methods),
        online=version.online,
        collateral=version.collateral_ratio is not None,
    )


def household_offer(household_id: int, *, today: date) -> Offer:
    borrower = Borrower(household_id=household_id)
    position = borrower_position(borrower, today)
    listed = WhitelistEntry.objects.filter(household_id=household_id, valid_to__isnull=True)
    versions = (
        LoanProductVersion.objects.filter(
            status=VersionStatus.APPROVED, product_id__in=listed.values("product_id")
        )
        .select_related("product")
        .order_by("product_id")
    )
    products = tuple(product_offer(v) for v in versions) if position.available > 0 else ()
    applications = tuple(
        ApplicationRow(a.pk, a.product.name, a.amount, a.status, a.get_status_display())
        for a in LoanApplication.objects.filter(
            household_id=household_id, status__in=("approved", "under_review")
        )
        .select_related("product")
        .order_by("-submitted_at")
    )
    contracts = []
    loans = {
        loan.contract_id: loan
        for loan in Loan.objects.filter(household_id=household_id, status__in=OPEN_LOAN_STATES)
    }
    for c in (
        LoanContract.objects.filter(household_id=household_id, status__in=LIVE_CONTRACT_STATES)
        .select_related("product_version__product")
        .order_by("-signed_at")
    ):
        loan = loans.get(c.pk)
        if c.maturity_date <= today or draw_window_passed(c, today):
            drawable = Decimal(0)
        elif c.revolving:
            drawable = c.amount - (loan.principal_outstanding if loan else Decimal(0))
        else:
            drawable = c.amount if c.drawn_total == 0 else Decimal(0)
        contracts.append(
            ContractRow(
                c.pk,
                c.number,
                c.product_version.product.name,
                c.amount,
                c.method_label,
                c.maturity_date,
                min(drawable, max(position.line.amount - position.outstanding, Decimal(0)))
                if line_usable(position.line, today)
                else Decimal(0),
            )
        )
    due = {
        row.loan_id: row
        for row in Instalment.objects.filter(loan_id__in=[loan.pk for loan in loans.values()])
        .exclude(status="paid")
        .order_by("loan_id", "-due_date")
    }
    loan_rows = tuple(
        LoanRow(
            loan.number,
            loan.contract_id,
            loan.principal_outstanding,
            loan.get_status_display(),
            due[loan.pk].due_date if loan.pk in due else None,
            due[loan.pk].remaining if loan.pk in due else None,
        )
        for loan in loans.values()
    )
    return Offer(position.available, products, applications, tuple(contracts), loan_rows)
