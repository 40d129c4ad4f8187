"""Field helpers shared by the models: money in yuan, counts, the non-negative validator."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.text import format_lazy

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise
else:
    StrOrPromise = str

ZERO = Decimal("0")


def _non_negative(label: StrOrPromise) -> MinValueValidator:
    return MinValueValidator(0, message=format_lazy("{}不能为负数", label))


def money(label: StrOrPromise, **kwargs: Any) -> models.DecimalField:
    """Yuan, two places, never negative."""
    return models.DecimalField(
        label,
        max_digits=14,
        decimal_places=2,
        default=ZERO,
        validators=[_non_negative(label)],
        **kwargs,
    )


def count(label: StrOrPromise, **kwargs: Any) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(label, default=0, **kwargs)
