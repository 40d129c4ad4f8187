"""Archive history (档案历史): every value the rating reads, as it was at any moment.

A regulator may ask for any past grade to be rebuilt exactly (``manage.py rating_replay``). The
archive tables keep only today's values, so each table the rating reads has an event table
filled by PostgreSQL triggers (django-pghistory on django-pgtrigger): an insert or an update
that changes a tracked column writes one row holding the tracked columns as they now are.
Triggers see every write — the services, imports' ``bulk_create``/``bulk_update``, the
synthetic county's COPY, a raw ``UPDATE`` — and the event tables are append-only (a trigger
refuses updates and deletes).

What is kept: only the columns the rating and the credit lines read (``*_HISTORY_FIELDS``),
never names, resident IDs or phone numbers (not even their ciphertext): history holds no
identifier to protect, and a key rotation has nothing in it to re-encrypt. A tracked column
added to a rating feature must be added here too (``rating/tests/test_replay.py`` checks that
every column the rating's reads use is kept).

When: ``pgh_created_at`` is the clock time of the write and ``pgh_xid`` the writing
transaction's id, so that a reader can tell exactly which events a rating statement saw (a
rating chunk records its statement's snapshot: ``rating.replay``). Triggers are
statement-level: a COPY of 20,000 households writes its 20,000 events in one ``INSERT …
SELECT``, not in 20,000 trigger calls.

SQLite (development, ``make demo``, the tests that do not ask for PostgreSQL): django-pgtrigger
installs nothing there, so the event tables exist but stay empty — there is no history, and
``rating_replay`` says so.
"""

from __future__ import annotations

from typing import Any

import pghistory
from django.db import models
from django.db.models.expressions import Func
from django.utils.translation import gettext_lazy as _

from households.models.archives import BusinessEntity, Household, Member
from households.models.watchlists import WatchlistEntityMatch, WatchlistMatch


class CurrentTransactionId(Func):
    """The writing transaction's id (``pg_current_xact_id()``, a 64-bit ``xid8``) as a
    ``bigint``: the database default of ``pgh_xid``. NULL elsewhere than on PostgreSQL."""

    template = "(pg_current_xact_id()::text::bigint)"
    output_field = models.BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return "NULL", ()


class ArchiveEvent(pghistory.models.Event):
    """The columns every archive event has besides the tracked ones."""

    pgh_xid = models.BigIntegerField(
        _("写入事务"), null=True, editable=False, db_default=CurrentTransactionId()
    )

    class Meta:
        abstract = True


HOUSEHOLD_HISTORY_FIELDS = [
    "village",
    "status",
    "rating_consent",
    "house_ownership",
    "committee_assessment",
    # money (rating and the credit lines)
    "income_crops",
    "income_livestock",
    "income_business",
    "income_wages",
    "income_other",
    "annual_costs",
    "house_value",
    "livestock_value",
    "vehicles_value",
    "deposits",
    "other_assets",
    "loans_this_bank",
    "loans_other_banks",
    "private_loans",
    "avg_daily_deposit_here",
    # counts and flags
    "other_lenders_count",
    "overdue_count_24m",
    "honours_count",
    "public_record_deductions",
    "has_outstanding_overdue",
    "has_bad_loan",
    "is_dishonest_debtor",
    "has_criminal_record",
    "has_drug_gambling_flag",
    # contribution pricing of the credit lines
    "payroll_agency",
    "mobile_banking_active",
]
MEMBER_HISTORY_FIELDS = [
    "household",
    "relation",
    "birth_date",
    "health",
    "education",
    "labour_ability",
    "subsistence_allowance",
    "is_poverty_alleviated",
]
WATCHLIST_MATCH_HISTORY_FIELDS = ["household", "kind", "cleared_at"]
ENTITY_HISTORY_FIELDS = [
    "category",
    "kind",
    "village",
    "years_operating",
    "annual_revenue",
    "total_assets",
    "total_liabilities",
    "current_liabilities",
    "employees",
    "land_mu",
    "cooperative_members",
    "tax_compliant",
    "overdue_count_24m",
    "has_outstanding_overdue",
    "has_bad_loan",
    # the credit lines' net operating profit
    "annual_costs",
]
WATCHLIST_ENTITY_MATCH_HISTORY_FIELDS = ["business_entity", "kind", "cleared_at"]


def _history(tracked: type[models.Model], fields: list[str]) -> Any:
    """The abstract event model of ``tracked``: insert and update (and delete, which the
    services never do) events of ``fields``, statement-level triggers, append-only, no
    context (who changed what is the audit log's business)."""
    return pghistory.create_event_model(
        tracked,
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        fields=fields,
        base_model=ArchiveEvent,
        # the tracked row's id; (pgh_obj, pgh_id) is the as-of reads' index
        obj_field=pghistory.ObjForeignKey(related_name="+", db_index=False),
        context_field=None,  # type: ignore[arg-type]
        append_only=True,
        level=pghistory.Statement,
    )


_Household = _history(Household, HOUSEHOLD_HISTORY_FIELDS)
_Member = _history(Member, MEMBER_HISTORY_FIELDS)
_WatchlistMatch = _history(WatchlistMatch, WATCHLIST_MATCH_HISTORY_FIELDS)
_BusinessEntity = _history(BusinessEntity, ENTITY_HISTORY_FIELDS)
_WatchlistEntityMatch = _history(WatchlistEntityMatch, WATCHLIST_ENTITY_MATCH_HISTORY_FIELDS)

# (each Meta extends the generated one: it carries the append-only triggers)


class HouseholdHistory(_Household):  # type: ignore[misc,valid-type]
    class Meta(_Household.Meta):  # type: ignore[name-defined]
        verbose_name = _("农户档案历史")
        verbose_name_plural = _("农户档案历史")
        indexes = [models.Index(fields=["pgh_obj", "pgh_id"], name="household_history_as_of")]


class MemberHistory(_Member):  # type: ignore[misc,valid-type]
    class Meta(_Member.Meta):  # type: ignore[name-defined]
        verbose_name = _("家庭成员历史")
        verbose_name_plural = _("家庭成员历史")
        indexes = [
            models.Index(fields=["pgh_obj", "pgh_id"], name="member_history_as_of"),
            models.Index(fields=["household"], name="member_history_household"),
        ]


class WatchlistMatchHistory(_WatchlistMatch):  # type: ignore[misc,valid-type]
    class Meta(_WatchlistMatch.Meta):  # type: ignore[name-defined]
        verbose_name = _("名单匹配历史")
        verbose_name_plural = _("名单匹配历史")
        indexes = [
            models.Index(fields=["pgh_obj", "pgh_id"], name="watchlist_match_history_as_of"),
            models.Index(fields=["household"], name="watchlist_match_history_hh"),
        ]


class BusinessEntityHistory(_BusinessEntity):  # type: ignore[misc,valid-type]
    class Meta(_BusinessEntity.Meta):  # type: ignore[name-defined]
        verbose_name = _("经营主体档案历史")
        verbose_name_plural = _("经营主体档案历史")
        indexes = [models.Index(fields=["pgh_obj", "pgh_id"], name="entity_history_as_of")]


class WatchlistEntityMatchHistory(_WatchlistEntityMatch):  # type: ignore[misc,valid-type]
    class Meta(_WatchlistEntityMatch.Meta):  # type: ignore[name-defined]
        verbose_name = _("经营主体名单匹配历史")
        verbose_name_plural = _("经营主体名单匹配历史")
        indexes = [models.Index(fields=["business_entity"], name="watchlist_entity_history_be")]


# the event table of each archive table the rating reads (``rating.replay``)
ARCHIVE_HISTORY: dict[type[models.Model], type[models.Model]] = {
    Household: HouseholdHistory,
    Member: MemberHistory,
    WatchlistMatch: WatchlistMatchHistory,
    BusinessEntity: BusinessEntityHistory,
    WatchlistEntityMatch: WatchlistEntityMatchHistory,
}
