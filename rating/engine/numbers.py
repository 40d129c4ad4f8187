"""Small number helpers shared by the engine's modules."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from rating.features import INFINITY

# --- small helpers ----------------------------------------------------------------------------


def _dec(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise TypeError("bool is not a number")
    result = Decimal(str(value))
    if not result.is_finite():
        raise ValueError("not finite")
    return result


def _opt_dec(value: Any) -> Decimal | None:
    return None if value is None else _dec(value)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None


def _count(value: Any) -> int | None:
    number = _decimal(value)
    return None if number is None or not number.is_finite() else max(int(number), 0)


def _category_key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _low_key(low: Decimal | None) -> Decimal:
    return -INFINITY if low is None else low


def _num(value: Decimal | None) -> int | str | None:
    """Whole numbers as JSON integers; anything else as an exact decimal string."""
    if value is None:
        return None
    if value.is_finite() and value == value.to_integral_value():
        return int(value)
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _num(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _fmt(value: Decimal) -> str:
    text = f"{value.normalize():f}" if value.is_finite() else str(value)
    return text
