"""Numbers as the bank writes them: yuan, 万元, basis points, percentages."""

from __future__ import annotations

from decimal import Decimal

_HUNDRED = Decimal(100)
_WAN = Decimal(10000)


def plain_number(value: Decimal) -> str:
    """``Decimal("300000.00")`` → ``"300000"``; ``Decimal("0.50")`` → ``"0.5"``."""
    return f"{value.normalize():f}"


def yuan(value: Decimal) -> str:
    """Exact amount with thousands separators, for back-office pages: ``"300,000元"``."""
    return f"{value.normalize():,f}元"


def yuan_words(value: Decimal) -> str:
    """Amount as a villager reads it: ``"30万元"``, ``"24.5万元"``; odd amounts in yuan."""
    wan = value / _WAN
    if value >= _WAN and wan == wan.quantize(Decimal("0.01")):
        return f"{plain_number(wan)}万元"
    return yuan(value)


def rate_percent(bp: int) -> str:
    """Basis points as an annual rate: ``345`` → ``"3.45%"``."""
    return f"{Decimal(bp).scaleb(-2).quantize(Decimal('0.01'))}%"


def percentage_points(bp: int) -> str:
    """Basis points as a change of rate: ``20`` → ``"0.20个百分点"``."""
    return f"{Decimal(bp).scaleb(-2).quantize(Decimal('0.01'))}个百分点"


def bp_to_rate(bp: int) -> Decimal:
    """Basis points as the stored decimal rate: ``345`` → ``Decimal("0.0345")``."""
    return Decimal(bp).scaleb(-4).quantize(Decimal("0.0001"))


def share_percent(share: Decimal) -> str:
    """A share of one as a percentage: ``Decimal("0.5")`` → ``"50%"``."""
    return f"{plain_number(share * _HUNDRED)}%"
