from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone

from fuxiang import masking
from fuxiang.formatting import format_rmb
from households import selectors
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
    """The one money format of every page (``fuxiang.formatting.rmb``): ¥1,234,567.50."""
    return format_rmb(value)


@register.filter
def percent(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value) * 100:.1f}%"


@register.filter(name="mask_name")
def mask_name_filter(name: str | None) -> str:
    return masking.mask_name(name or "")


@register.filter
def household_name(household: Any, head_name: str | None = None) -> str:
    """``{{ household|household_name:head_name }}``: 罗家坪村 罗**户 (``households.selectors.
    household_name``); the household's village must be loaded with it."""
    if household is None:
        return ""
    return selectors.household_name(household.village.name, head_name, household.pk)
