"""Money as the loan pages show it: thousands separated, whole yuan without decimals."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


@register.filter
def money(value: Any) -> str:
    """200000 → 200,000; 1234.5 → 1,234.50."""
    amount = _decimal(value)
    if amount is None:
        return "0"
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"


@register.filter
def money2(value: Any) -> str:
    amount = _decimal(value)
    return "0.00" if amount is None else f"{amount:,.2f}"


@register.filter
def rate(bp: Any) -> str:
    """370 → 3.70%."""
    amount = _decimal(bp)
    return "—" if amount is None else f"{amount / 100:.2f}%"
