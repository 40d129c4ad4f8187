"""Repayment schedules (还款计划) for each repayment method — pure Python, ``Decimal``.

**Interest is actual/360**: it accrues daily on the outstanding principal at the annual rate ÷
360, for the actual number of days of each period — from the drawdown (or the day of the last
prepayment) to the first due date, then from one due date to the next. An instalment's interest
is computed at full precision and rounded to the fen (0.01 yuan, ``ROUND_HALF_UP``) once, at
the end of the instalment; principal parts are whole fen, and the last instalment absorbs
whatever the rounding left, so the principal of a schedule always adds up to the loan exactly.
Instalments fall due monthly on the drawdown's day of the month (clamped to the month's end: a
loan drawn on 31 January is due on 28/29 February, 31 March, ...).

With ``g_k`` = annual rate × days of period k ÷ 360 (the period's interest factor):

- 等额本息 (``equal_instalment``): the same payment every period,
  ``X = P·Π(1+g_k) / Σ_k Π_{j>k}(1+g_j)`` — the level payment that repays ``P`` exactly over
  the actual periods (with equal periods it is the textbook ``P·r·(1+r)^n/((1+r)^n−1)``);
  each period's interest is the balance × ``g_k``, the rest of the payment is principal.
- 等额本金 (``equal_principal``): the principal ÷ n every period, interest on the balance.
- 按月付息到期还本 (``interest_only``): the interest of each period on the whole principal,
  the principal with the last instalment.
- 随借随还 (revolving): no schedule; interest accrues daily on the balance at the annual rate ÷
  360 (``revolving_interest``), and the principal is due at the contract's maturity.

``reschedule`` makes the schedule of what remains after a prepayment: the remaining principal
over the remaining due dates, the first period running from the prepayment day.
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


def due_dates(start: date, months: int) -> list[date]:
    return [add_months(start, n) for n in range(1, months + 1)]


def schedule(
    method: str, *, principal: Decimal, annual_rate: Decimal, months: int, start: date
) -> list[Instalment]:
    """The schedule of a loan of ``principal`` drawn on ``start`` at ``annual_rate`` (0.0345)
    for ``months`` months. Revolving loans have none (``[]``)."""
    if method == REVOLVING:
        return []
    if months <= 0:
        raise ScheduleError("本金、期限须大于0，利率不能为负")
    return reschedule(
        method,
        principal=principal,
        annual_rate=annual_rate,
        start=start,
        dates=due_dates(start, months),
    )


def reschedule(
    method: str,
    *,
    principal: Decimal,
    annual_rate: Decimal,
    start: date,
    dates: Sequence[date],
    first_number: int = 1,
) -> list[Instalment]:
    """The schedule of ``principal`` from ``start`` over the due ``dates`` (the first period
    runs from ``start`` to ``dates[0]``), numbered from ``first_number``."""
    if principal <= 0 or not dates or annual_rate < 0:
        raise ScheduleError("本金、期限须大于0，利率不能为负")
    if method not in SCHEDULED_METHODS:
        raise ScheduleError(f"未知的还款方式：{method}")
    principal = to_fen(principal)
    factors = period_factors(annual_rate, start, dates)
    n = len(dates)
    if method == EQUAL_INSTALMENT:
        payment = level_payment(principal, factors)
        parts = None
    elif method == EQUAL_PRINCIPAL:
        payment, parts = None, to_fen(principal / n)
    else:
        payment, parts = None, ZERO
    rows, balance = [], principal
    for k, (due, factor) in enumerate(zip(dates, factors, strict=True)):
        interest = to_fen(balance * factor)  # rounded once, at the end of the instalment
        if k == n - 1:
            part = balance
        elif payment is not None:
            part = min(balance, max(ZERO, payment - interest))
        else:
            part = min(balance, parts or ZERO)
        balance -= part
        rows.append(Instalment(first_number + k, due, part, interest, balance))
    return rows


def period_factors(annual_rate: Decimal, start: date, dates: Sequence[date]) -> list[Decimal]:
    """Each period's interest factor: annual rate × actual days ÷ 360."""
    factors, previous = [], start
    for due in dates:
        days = (due - previous).days
        if days < 0:
            raise ScheduleError("还款日不能早于起息日")
        factors.append(annual_rate * days / DAYS_PER_YEAR)
        previous = due
    return factors


def level_payment(principal: Decimal, factors: Sequence[Decimal]) -> Decimal:
    """The 等额本息 payment that repays ``principal`` over periods of the given interest
    factors, rounded to the fen: ``P·Π(1+g_k) / Σ_k Π_{j>k}(1+g_j)``."""
    growth, tail = Decimal(1), Decimal(0)
    for factor in reversed(factors):  # tail = Σ_k Π_{j>k}(1+g_j), built from the last period
        tail += growth
        growth *= 1 + factor
    return to_fen(principal * growth / tail)


def interest_for_days(balance: Decimal, annual_rate: Decimal, days: int) -> Decimal:
    """Interest on ``balance`` for ``days`` days (annual rate ÷ 360 a day), to the fen."""
    if days <= 0 or balance <= 0:
        return ZERO
    return to_fen(balance * annual_rate * days / DAYS_PER_YEAR)


def revolving_interest(balance: Decimal, annual_rate: Decimal, days: int) -> Decimal:
    """Interest on a revolving balance outstanding for ``days`` days (annual rate ÷ 360 a
    day), rounded to the fen."""
    return interest_for_days(balance, annual_rate, days)


def totals(rows: Sequence[Instalment]) -> tuple[Decimal, Decimal]:
    """(principal, interest) of a schedule."""
    return (sum((r.principal for r in rows), ZERO), sum((r.interest for r in rows), ZERO))
