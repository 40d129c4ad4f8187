"""The loans figures of each household, for the refresh: one small function per figure, each
returning a derived table (SQL selecting ``household_id, value``, and its parameters) that the
stage statement LEFT JOINs, or ``None`` for a figure that is zero. Every loans stage of every
page goes through here: what "applied", "signed", "drawn", "balance" and "online" mean for the
dashboards is decided in this module alone (docs/dashboards.md).

Households only: an entity's loans are its own (the funnel counts households)."""

from __future__ import annotations

from loans.models import Channel, Drawdown, Loan, LoanApplication, LoanContract

Derived = tuple[str, list[object]]

# Borrowed online: through the villager's 码上贷 pages or the provincial lending platform;
# a contract signed with the officer at the branch is offline.
ONLINE_CHANNELS = (Channel.VILLAGER, Channel.PLATFORM)


def households_applied() -> Derived | None:
    """Households that applied for a loan, whatever became of the application (approved,
    declined, under review, signed, expired, withdrawn)."""
    table = LoanApplication._meta.db_table
    return (f"SELECT DISTINCT household_id FROM {table} WHERE household_id IS NOT NULL", [])  # noqa: S608


def households_signed_amount() -> Derived | None:
    """签约金额: the amount of every contract a household signed (all of them, those since
    repaid, closed or ended undrawn included: what was signed)."""
    table = LoanContract._meta.db_table
    return (
        f"SELECT household_id, SUM(amount) AS value FROM {table} "  # noqa: S608
        "WHERE household_id IS NOT NULL GROUP BY household_id",
        [],
    )


def households_drawn_amount() -> Derived | None:
    """用信金额: every drawdown paid on a household's contracts (a revolving line drawn, repaid
    and drawn again counts each drawdown)."""
    drawdown, contract = Drawdown._meta.db_table, LoanContract._meta.db_table
    return (
        f"SELECT c.household_id, SUM(d.amount) AS value FROM {drawdown} d "  # noqa: S608
        f"JOIN {contract} c ON c.id = d.contract_id "
        "WHERE c.household_id IS NOT NULL GROUP BY c.household_id",
        [],
    )


def households_balance() -> Derived | None:
    """贷款余额: principal still owed on a household's loans (借据) not closed."""
    table = Loan._meta.db_table
    return (
        f"SELECT household_id, SUM(principal_outstanding) AS value FROM {table} "  # noqa: S608
        "WHERE household_id IS NOT NULL AND status <> %s GROUP BY household_id",
        ["closed"],
    )


def households_online_balance() -> Derived | None:
    """线上贷款余额: the part of the balance on contracts signed through an online channel."""
    loan, contract = Loan._meta.db_table, LoanContract._meta.db_table
    channels = ", ".join(["%s"] * len(ONLINE_CHANNELS))
    return (
        f"SELECT l.household_id, SUM(l.principal_outstanding) AS value FROM {loan} l "  # noqa: S608
        f"JOIN {contract} c ON c.id = l.contract_id "
        "WHERE l.household_id IS NOT NULL AND l.status <> %s "
        f"AND c.signing_channel IN ({channels}) "
        "GROUP BY l.household_id",
        ["closed", *ONLINE_CHANNELS],
    )


# stage column → its figure
COLUMNS = {
    "applied": households_applied,
    "signed_amount": households_signed_amount,
    "drawn_amount": households_drawn_amount,
    "balance": households_balance,
    "online_balance": households_online_balance,
}
