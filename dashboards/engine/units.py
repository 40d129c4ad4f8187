"""Figures in the units the bank reports them: 22.22万户, 72.93万人次, 186亿元, 54.1亿元 —
two decimals at most, rounded half up, trailing zeros dropped — and the exact figure beside
(on hover and in the tables)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

WAN = Decimal(10_000)
YI = Decimal(100_000_000)
_TWO = Decimal("0.01")


def _short(value: Decimal) -> str:
    text = f"{value.quantize(_TWO, ROUND_HALF_UP):,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def bank_count(n: int, unit: str = "户") -> str:
    """222200 → 22.22万户; below ten thousand the number itself: 9,999户."""
    if abs(n) >= WAN:
        return f"{_short(Decimal(n) / WAN)}万{unit}"
    return f"{n:,}{unit}"


def bank_amount(yuan: Decimal | int) -> str:
    """18,600,000,000 → 186亿元; 5,410,000 → 541万元; below ten thousand: 3,500元."""
    value = Decimal(yuan)
    if abs(value) >= YI:
        return f"{_short(value / YI)}亿元"
    if abs(value) >= WAN:
        return f"{_short(value / WAN)}万元"
    return f"{_short(value)}元"


def exact_count(n: int, unit: str = "户") -> str:
    return f"{n:,}{unit}"


def exact_amount(yuan: Decimal | int) -> str:
    return f"{Decimal(yuan).quantize(_TWO, ROUND_HALF_UP):,}元"
