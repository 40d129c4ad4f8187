from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import template
from django.utils import timezone

from fuxiang import masking
from households.identity import age_on

register = template.Library()


@register.filter
def age(birth_date: date | None) -> int | str:
    """Completed years today (Asia/Shanghai)."""
    if birth_date is None:
        return ""
    return age_on(birth_date, timezone.localdate())


@register.filter
def yuan(value: Decimal | int | None) -> str:
    """1234567.5 → 1,234,567.50 元; large amounts also in 万."""
    if value is None:
        return "—"
    amount = Decimal(value)
    text = f"{amount:,.2f} 元"
    if abs(amount) >= 10000:
        text += f"（{amount / 10000:,.2f}万）"
    return text


@register.filter
def percent(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value) * 100:.1f}%"


@register.filter(name="mask_name")
def mask_name_filter(name: str | None) -> str:
    return masking.mask_name(name or "")
