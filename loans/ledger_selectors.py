"""Reads of applications, contracts, loans and schedules, scoped to the user like everything
else (officer: their grids; branch manager: their branch; head office and auditors: the
county) — outside one's scope a row does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import Count, Model, Q, QuerySet, Sum

from households.models import BusinessEntity, Household
from households.selectors import household_names, visible_village_ids
from loans.borrowers import Borrower, available
from loans.models import CreditExposure, Loan, LoanApplication, LoanContract

M = TypeVar("M", bound=Model)


def scoped(queryset: QuerySet[M], user: Any) -> QuerySet[M]:
    """Rows whose borrower (household or entity) lives in a village the user may see."""
    ids = visible_village_ids(user)
    if ids is None:
        return queryset
    if queryset.model is Loan:  # a loan carries its borrower's village
        return queryset.filter(village_id__in=ids)
    # subject ids from the scope's villages (hashed once), not joins: a join for each of
    # the two kinds of subject left PostgreSQL no plan but joining every row
    return queryset.filter(
        Q(household_id__in=Household.objects.filter(village_id__in=ids).values("pk"))
        | Q(business_entity_id__in=BusinessEntity.objects.filter(village_id__in=ids).values("pk"))
    )


def applications_visible_to(user: Any) -> QuerySet[LoanApplication]:
    return scoped(LoanApplication.objects.select_related("product", "product_version"), user)


def contracts_visible_to(user: Any) -> QuerySet[LoanContract]:
    return scoped(
        LoanContract.objects.select_related("product_version__product", "application"), user
    )


def loans_visible_to(user: Any) -> QuerySet[Loan]:
    return scoped(Loan.objects.select_related("contract__product_version__product"), user)


def borrowers_named(rows: Any) -> list[Any]:
    """The rows (applications, contracts, loans), each with ``subject_name``: a household as
    every page names it (罗家坪村 张**户, ``households.selectors.household_names``), a business
    by its name. Three queries for a page, whatever its length."""
    rows = list(rows)
    households = household_names(row.household_id for row in rows)
    entities = dict(
        BusinessEntity.objects.filter(
            pk__in={row.business_entity_id for row in rows if row.business_entity_id}
        ).values_list("pk", "name")
    )
    for row in rows:
        row.subject_name = (
            households.get(row.household_id, "")
            if row.household_id
            else entities.get(row.business_entity_id, "")
        )
    return rows


def overdue_loans_count(village_ids: list[int] | None) -> int:
    """Loans 逾期 (past due, not yet 不良) in these villages (``None``: the county), for the
    managers' menu: the index on (village, status) answers it."""
    loans = Loan.objects.filter(status="overdue")
    if village_ids is not None:
        loans = loans.filter(village_id__in=village_ids)
    return loans.count()


def review_queue(user: Any) -> QuerySet[LoanApplication]:
    """The officer's (or a manager's) applications waiting for review (房抵贷)."""
    return applications_visible_to(user).filter(status="under_review").order_by("submitted_at")


@dataclass(frozen=True)
class BorrowerPosition:
    """A borrower's credit as loans sees it: the line, what is in use, what is available."""

    line: Any
    in_use: Decimal
    outstanding: Decimal
    available: Decimal


def borrower_position(borrower: Borrower, today: Any) -> BorrowerPosition:
    exposure = CreditExposure.objects.filter(**borrower.fields).first()
    in_use = exposure.in_use if exposure else Decimal(0)
    outstanding = exposure.outstanding if exposure else Decimal(0)
    line = borrower.line()
    return BorrowerPosition(line, in_use, outstanding, available(line, in_use, today))


def household_loans(household_id: int) -> dict[str, Any]:
    """Everything of one household for its card: applications, contracts, loans with their
    instalments — a fixed number of queries."""
    return {
        "applications": list(
            LoanApplication.objects.filter(household_id=household_id)
            .select_related("product")
            .order_by("-submitted_at")[:20]
        ),
        "contracts": list(
            LoanContract.objects.filter(household_id=household_id)
            .select_related("product_version__product")
            .order_by("-signed_at")
        ),
        "loans": list(
            Loan.objects.filter(household_id=household_id)
            .select_related("contract__product_version__product")
            .prefetch_related("instalments")
            .order_by("-start_date")
        ),
    }


def product_totals(user: Any) -> dict[int, dict[str, Decimal | int]]:
    """Per product, within the user's scope: contracts signed and their amount, drawn amount,
    outstanding principal."""
    contracts = scoped(LoanContract.objects.all(), user)
    totals: dict[int, dict[str, Decimal | int]] = {}
    signed = contracts.values("product_version__product").annotate(
        signed=Sum("amount"), drawn=Sum("drawn_total"), n=Count("pk")
    )
    for row in signed:
        totals[row["product_version__product"]] = {
            "signed": row["signed"] or Decimal(0),
            "drawn": row["drawn"] or Decimal(0),
            "contracts": row["n"],
        }
    outstanding = (
        scoped(Loan.objects.exclude(status="closed"), user)
        .values("contract__product_version__product")
        .annotate(outstanding=Sum("principal_outstanding"))
    )
    for loan_row in outstanding:
        entry = totals.setdefault(loan_row["contract__product_version__product"], {})
        entry["outstanding"] = loan_row["outstanding"] or Decimal(0)
    return totals
