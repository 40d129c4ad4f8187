"""Borrowers and their credit: which line a borrower draws on, how much of it is available,
and the exposure row every money-moving service locks first.

A borrower is a household, or a business entity rated on its own card with a line of its own
(a company or cooperative). An individual business, family farm or large grower linked to its
owner's household borrows on the household's line: apply as the household.

**What occupies a line** (占用额度, ``CreditExposure.in_use``): a signed contract occupies its
amount from signing. A revolving (随借随还) contract keeps occupying its whole amount until it
is closed at maturity — its draws and repayments move within it. An instalment contract
releases, at its drawdown, whatever was not drawn, and then the principal as it is repaid; a
contract never drawn releases everything when it matures (terminated). So, per borrower,
Σ outstanding ≤ Σ occupied ≤ the line's amount at each signing; and a drawdown also keeps
Σ outstanding ≤ the line's *current* amount (a re-rating may lower it).

**Available** (可用额度) = the current line's amount − in use, never below 0, and 0 when the
line cannot be used (not active, past its end, or held: a hold suspends or revokes the line).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from credit.models import CreditLine, LineStatus
from credit.selectors import entity_current_line, household_current_line
from fuxiang.errors import DomainError
from households.models import BusinessEntity, Household, Member, Relation
from loans.engine.rules import LINE_STATUS_REASONS, person_reasons
from loans.models import Channel, CreditExposure, LoanContract

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Borrower:
    household_id: int | None = None
    entity_id: int | None = None

    @classmethod
    def of(cls, subject: Any) -> Borrower:
        """From a ``Household``, a ``BusinessEntity`` or any row with the two subject ids."""
        if isinstance(subject, Household):
            return cls(household_id=subject.pk)
        if isinstance(subject, BusinessEntity):
            return cls(entity_id=subject.pk)
        household_id = getattr(subject, "household_id", None)
        if household_id is not None:
            return cls(household_id=household_id)
        return cls(entity_id=subject.business_entity_id)

    @property
    def fields(self) -> dict[str, int | None]:
        """The two subject columns of a ledger row."""
        return {"household_id": self.household_id, "business_entity_id": self.entity_id}

    @property
    def subject_id(self) -> int:
        """The household's or the entity's id (exactly one is set)."""
        return int(self.household_id if self.household_id is not None else self.entity_id or 0)

    @property
    def key(self) -> str:
        if self.household_id is not None:
            return f"household:{self.household_id}"
        return f"entity:{self.entity_id}"

    @property
    def q(self) -> Q:
        if self.household_id is not None:
            return Q(household_id=self.household_id)
        return Q(business_entity_id=self.entity_id)

    def line(self) -> CreditLine | None:
        if self.household_id is not None:
            return household_current_line(self.household_id)
        if self.entity_id is None:
            return None
        return entity_current_line(self.entity_id)


def exposure_lock(borrower: Borrower) -> CreditExposure:
    """The borrower's exposure row, created if need be, locked until the transaction ends.
    Every service that moves money takes it first, so one borrower's signings, drawdowns and
    repayments happen one at a time (on PostgreSQL a second request waits here)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("exposure_lock must run inside a transaction")
    row = CreditExposure.objects.select_for_update().filter(**borrower.fields).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            CreditExposure.objects.create(**borrower.fields)
    except IntegrityError:
        pass  # created meanwhile by a concurrent request: lock theirs
    return CreditExposure.objects.select_for_update().get(**borrower.fields)


def line_usable(line: CreditLine | None, today: date) -> bool:
    return line is not None and line.status == LineStatus.ACTIVE and line.valid_to >= today


def available(line: CreditLine | None, in_use: Decimal, today: date) -> Decimal:
    if line is None or not line_usable(line, today):
        return ZERO
    return max(ZERO, line.amount - in_use)


def line_status_for(line: CreditLine | None, today: date) -> str:
    """The line's status as admission reads it (an active line past its end is expired even
    before the nightly expiry has run)."""
    if line is None:
        return ""
    if line.status == LineStatus.ACTIVE and line.valid_to < today:
        return LineStatus.EXPIRED
    return line.status


def refuse_unusable_line(line: CreditLine | None, today: date) -> CreditLine:
    """The line if it can be used now (signing, drawing); else a ``DomainError`` naming why."""

    if line is None:
        raise DomainError("暂无有效的授信额度，请联系您的客户经理", code="no_line")
    status = line_status_for(line, today)
    if status in LINE_STATUS_REASONS:
        code, message = LINE_STATUS_REASONS[status]
        raise DomainError(message, code=code)
    return line


def borrowing_person(
    borrower: Borrower, *, member_id: int | None, channel: str, today: date
) -> Member | None:
    """The person who borrows for a household (``None`` for an entity): the member who
    verified (the villager's own SMS code and ID), or — through an officer or the platform,
    when no member is named — the head. Refused (``DomainError``) unless it is the head or the
    head's spouse, aged 18 or more (``rules.person_reasons``)."""
    if borrower.household_id is None:
        return None
    members = Member.objects.filter(household_id=borrower.household_id).only(
        "pk", "household_id", "relation", "birth_date", "name", "id_number_masked"
    )
    if member_id is not None:
        person = members.filter(pk=member_id).first()
    elif channel == Channel.VILLAGER:
        person = None
    else:
        person = members.filter(relation=Relation.HEAD).first()
    if person is None:
        raise DomainError(
            {"verification": "请本人先完成身份验证（姓名、身份证号和短信验证码）后再办理"},
            code="not_verified",
        )
    reasons = person_reasons(person.relation, person.birth_date, today)
    if reasons:
        raise DomainError(reasons[0].message, code=reasons[0].code)
    return person


def release(contract: LoanContract, exposure: Any) -> None:
    """A contract that ends gives its remaining occupation back to the line (the caller holds
    the borrower's exposure lock and saves it)."""
    exposure.in_use -= contract.occupied
    contract.occupied = ZERO
