"""Repayment schedules (还款计划) for each repayment method — pure Python, ``Decimal``.

Every amount is rounded to the fen (0.01 yuan, ``ROUND_HALF_UP``) as it is computed; the last
instalment absorbs whatever the rounding left, so the principal of a schedule always adds up
to the loan exactly. Instalments fall due monthly on the drawdown's day of the month (clamped
to the month's end: a loan drawn on 31 January is due on 28/29 February, 31 March, ...).

- 等额本息 (``equal_instalment``): the same payment every month,
  ``P·r·(1+r)^n / ((1+r)^n − 1)`` with ``r`` = annual rate ÷ 12; each month's interest is the
  balance × ``r``, the rest of the payment is principal.
- 等额本金 (``equal_principal``): the principal ÷ n every month, interest on the balance.
- 按月付息到期还本 (``interest_only``): the principal × ``r`` every month, the principal with
  the last instalment.
- 随借随还 (revolving): no schedule; interest accrues daily on the balance at the annual rate ÷
  360 (``revolving_interest``), and the principal is due at the contract's maturity.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
DAYS_PER_YEAR = 360  # 日利率 = 年利率 ÷ 360, the convention of the bank's loan contracts

EQUAL_INSTALMENT = "equal_instalment"
EQUAL_PRINCIPAL = "equal_principal"
INTEREST_ONLY = "interest_only"
REVOLVING = "revolving"

METHOD_LABELS = {
    EQUAL_INSTALMENT: "等额本息",
    EQUAL_PRINCIPAL: "等额本金",
    INTEREST_ONLY: "按月付息到期还本",
    REVOLVING: "随借随还",
}
SCHEDULED_METHODS = (EQUAL_INSTALMENT, EQUAL_PRINCIPAL, INTEREST_ONLY)


def to_fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, the day clamped to the month's end."""
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Instalment:
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    balance_after: Decimal

    @property
    def payment(self) -> Decimal:
        return self.principal + self.interest


class ScheduleError(ValueError):
    """The inputs cannot make a schedule (a programming error: services check them first)."""


def schedule(
    method: str, *, principal: Decimal, annual_rate: Decimal, months: int, start: date
) -> list[Instalment]:
    """The schedule of a loan of ``principal`` drawn on ``start`` at ``annual_rate`` (0.0345)
    for ``months`` months. Revolving loans have none (``[]``)."""
    if method == REVOLVING:
        return []
    if principal <= 0 or months <= 0 or annual_rate < 0:
        raise ScheduleError("本金、期限须大于0，利率不能为负")
    principal = to_fen(principal)
    monthly = annual_rate / 12
    if method == EQUAL_INSTALMENT:
        return _equal_instalment(principal, monthly, months, start)
    if method == EQUAL_PRINCIPAL:
        return _equal_principal(principal, monthly, months, start)
    if method == INTEREST_ONLY:
        return _interest_only(principal, monthly, months, start)
    raise ScheduleError(f"未知的还款方式：{method}")


def level_payment(principal: Decimal, monthly: Decimal, months: int) -> Decimal:
    """The 等额本息 monthly payment, rounded to the fen."""
    if monthly == 0:
        return to_fen(principal / months)
    growth = (1 + monthly) ** months
    return to_fen(principal * monthly * growth / (growth - 1))


def _equal_instalment(
    principal: Decimal, monthly: Decimal, months: int, start: date
) -> list[Instalment]:
    payment = level_payment(principal, monthly, months)
    rows, balance = [], principal
    for n in range(1, months + 1):
        interest = to_fen(balance * monthly)
        part = balance if n == months else payment - interest
        balance -= part
        rows.append(Instalment(n, add_months(start, n), part, interest, balance))
    return rows


def _equal_principal(
    principal: Decimal, monthly: Decimal, months: int, start: date
) -> list[Instalment]:
    part = to_fen(principal / months)
    rows, balance = [], principal
    for n in range(1, months + 1):
        interest = to_fen(balance * monthly)
        paid = balance if n == months else part
        balance -= paid
        rows.append(Instalment(n, add_months(start, n), paid, interest, balance))
    return rows


def _interest_only(
    principal: Decimal, monthly: Decimal, months: int, start: date
) -> list[Instalment]:
    interest = to_fen(principal * monthly)
    return [
        Instalment(
            n,
            add_months(start, n),
            principal if n == months else ZERO,
            interest,
            ZERO if n == months else principal,
        )
        for n in range(1, months + 1)
    ]


def revolving_interest(balance: Decimal, annual_rate: Decimal, days: int) -> Decimal:
    """Interest on a revolving balance outstanding for ``days`` days (annual rate ÷ 360 a
    day), rounded to the fen."""
    if days <= 0 or balance <= 0:
        return ZERO
    return to_fen(balance * annual_rate * days / DAYS_PER_YEAR)


def totals(rows: Sequence[Instalment]) -> tuple[Decimal, Decimal]:
    """(principal, interest) of a schedule."""
    return (sum((r.principal for r in rows), ZERO), sum((r.interest for r in rows), ZERO))
