"""The loans figures of each household, for the refresh: one small function per figure, each
returning a derived table (SQL selecting ``household_id, value``, and its parameters) that the
stage statement LEFT JOINs — or ``None`` while the ``loans`` app has no ledger, which the
statement reads as zero. The loans stages of every page go through here and nowhere else."""

from __future__ import annotations

from django.apps import apps

Derived = tuple[str, list[object]]


def _ledger_ready() -> bool:
    """Whether ``loans`` holds a loan ledger yet (its models are being built)."""
    return any(model.__name__ == "Loan" for model in apps.get_app_config("loans").get_models())


def households_applied() -> Derived | None:
    """Households that applied for a loan (any product, any outcome): value 1."""
    if not _ledger_ready():
        return None
    raise NotImplementedError("wire to loans' applications")


def households_signed_amount() -> Derived | None:
    """The amount of every loan contract a household signed (签约金额)."""
    if not _ledger_ready():
        return None
    raise NotImplementedError("wire to loans' contracts")


def households_drawn_amount() -> Derived | None:
    """The amount of every drawdown paid to a household (用信金额)."""
    if not _ledger_ready():
        return None
    raise NotImplementedError("wire to loans' drawdowns")


def households_balance() -> Derived | None:
    """The principal a household still owes (贷款余额)."""
    if not _ledger_ready():
        return None
    raise NotImplementedError("wire to loans' balances")


def households_online_balance() -> Derived | None:
    """The part of the balance borrowed through an online channel (线上贷款余额)."""
    if not _ledger_ready():
        return None
    raise NotImplementedError("wire to loans' channels")


# stage column → its figure
COLUMNS = {
    "applied": households_applied,
    "signed_amount": households_signed_amount,
    "drawn_amount": households_drawn_amount,
    "balance": households_balance,
    "online_balance": households_online_balance,
}
