"""Matching watch-list entries against the archives: set-based statements joining entries in
force to members, legal representatives and companies; lifted entries and corrected IDs clear
their matches, nothing is re-opened."""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from fuxiang.accounts.models import User
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from households.models import (
    BusinessEntity,
    Member,
    WatchlistEntityMatch,
    WatchlistEntry,
    WatchlistMatch,
)
from households.signals import archives_changed_on_commit, watchlist_matches_changed

logger = logging.getLogger(__name__)

REASON_LIFTED = "名单已移出"
REASON_ID_CHANGED = "成员身份证号码已更正"
REASON_USCC_CHANGED = "主体统一社会信用代码已更正"

# --- matching ---------------------------------------------------------------------------------


def active_on(as_of: date) -> Q:
    """Entries in force on ``as_of``: listed by then and not yet lifted."""
    return Q(listed_on__lte=as_of) & (Q(lifted_on__isnull=True) | Q(lifted_on__gt=as_of))


def _insert_new_matches(
    *,
    as_of: date,
    now: datetime,
    match_model: type[models.Model],
    subject_model: type[models.Model],
    subject_fk: str,
    subject_index: str,
    entry_key: str = "id_number_index",
    copied: tuple[str, ...] = (),
) -> int:
    """One INSERT … SELECT joining entries in force to subjects (members, or entities by their
    legal representative) on the blind index — or, with ``entry_key="uscc"``, company entries
    to entities on their code; pairs that already have a match row (active or cleared) are left
    alone, so nothing is re-opened. ``copied`` columns come from the subject (a member's
    household)."""
    q = connection.ops.quote_name
    match, entry, subject = match_model._meta, WatchlistEntry._meta, subject_model._meta
    extra_targets = "".join(f", {q(column)}" for column in copied)
    extra_values = "".join(f", s.{q(column)}" for column in copied)
    sql = f"""
        INSERT INTO {q(match.db_table)}
            ({q("entry_id")}, {q(subject_fk)}{extra_targets}, {q("kind")},
             {q("matched_at")}, {q("cleared_at")}, {q("cleared_reason")})
        SELECT e.{q("id")}, s.{q("id")}{extra_values}, e.{q("kind")}, %s, NULL, ''
        FROM {q(entry.db_table)} e
        INNER JOIN {q(subject.db_table)} s ON s.{q(subject_index)} = e.{q(entry_key)}
        WHERE e.{q("listed_on")} <= %s
          AND (e.{q("lifted_on")} IS NULL OR e.{q("lifted_on")} > %s)
          AND NOT EXISTS (
              SELECT 1 FROM {q(match.db_table)} x
              WHERE x.{q("entry_id")} = e.{q("id")} AND x.{q(subject_fk)} = s.{q("id")}
          )
        ON CONFLICT DO NOTHING
    """  # noqa: S608  (identifiers come from model metadata; values are parameters)
    day = connection.ops.adapt_datefield_value(as_of)
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), day, day])
        return max(cursor.rowcount, 0)


def recheck(*, as_of: date, announce: bool = True) -> dict[str, int]:
    now = timezone.now()
    matched = _insert_new_matches(
        as_of=as_of,
        now=now,
        match_model=WatchlistMatch,
        subject_model=Member,
        subject_fk="member_id",
        subject_index="id_number_index",
        copied=("household_id",),
    )
    matched += _insert_new_matches(
        as_of=as_of,
        now=now,
        match_model=WatchlistEntityMatch,
        subject_model=BusinessEntity,
        subject_fk="business_entity_id",
        subject_index="legal_rep_id_index",
    )
    matched += _insert_new_matches(  # a company listed under its own code (失信被执行人)
        as_of=as_of,
        now=now,
        match_model=WatchlistEntityMatch,
        subject_model=BusinessEntity,
        subject_fk="business_entity_id",
        subject_index="uscc",
        entry_key="uscc",
    )
    active = WatchlistMatch.objects.filter(cleared_at__isnull=True)
    lifted = active.filter(entry__lifted_on__lte=as_of).update(
        cleared_at=now, cleared_reason=REASON_LIFTED
    )
    # a member's ID corrected after matching: the evidence no longer points at them
    corrected = active.exclude(entry__id_number_index=F("member__id_number_index")).update(
        cleared_at=now, cleared_reason=REASON_ID_CHANGED
    )
    entities = WatchlistEntityMatch.objects.filter(cleared_at__isnull=True)
    lifted += entities.filter(entry__lifted_on__lte=as_of).update(
        cleared_at=now, cleared_reason=REASON_LIFTED
    )
    corrected += (
        entities.filter(entry__uscc__isnull=True)
        .exclude(entry__id_number_index=F("business_entity__legal_rep_id_index"))
        .update(cleared_at=now, cleared_reason=REASON_ID_CHANGED)
    )
    # an entity's code corrected (or removed) after matching its company entry
    corrected += (
        entities.filter(entry__uscc__isnull=False)
        .exclude(entry__uscc=F("business_entity__uscc"))
        .update(cleared_at=now, cleared_reason=REASON_USCC_CHANGED)
    )
    if matched or lifted or corrected:
        watchlist_matches_changed.send(sender=WatchlistMatch, at=now)
    if announce and (matched or lifted or corrected):
        # the households whose members, and the entities that (or whose legal representatives)
        # were matched or cleared just now: their knock-outs and flags changed
        just_now = Q(matched_at=now) | Q(cleared_at=now)
        changed = set(
            WatchlistMatch.objects.filter(just_now).values_list("household_id", flat=True)
        )
        entities_changed = set(
            WatchlistEntityMatch.objects.filter(just_now).values_list(
                "business_entity_id", flat=True
            )
        )
        if changed or entities_changed:
            archives_changed_on_commit(changed, entity_ids=entities_changed, reason="watchlist")
    return {
        "matched": matched,
        "cleared": lifted + corrected,
        "active": active.count() + entities.count(),
    }


@transaction.atomic
def watchlists_recheck(
    *, as_of: date, actor: User | None = None, announce: bool = True
) -> dict[str, int]:
    """Bring matches up to date on ``as_of``: match entries in force to members archived since,
    clear matches whose entry was lifted (移出日期 ≤ ``as_of``), re-open nothing. A fixed number
    of set-based queries whatever the number of entries or members. Returns
    ``{"matched": new, "cleared": n, "active": total active}``; audits only when something
    changed (the nightly job runs with ``actor=None``). The households and entities matched or
    cleared are announced with ``archives_changed`` unless ``announce=False`` (the synthetic
    generator: its county has never been rated, and a county run follows)."""
    counts = recheck(as_of=as_of, announce=announce)
    if counts["matched"] or counts["cleared"]:
        audit_record(
            action=AuditAction.WATCHLIST_RECHECK,
            actor=actor,
            target_label="名单重新比对",
            details={"as_of": as_of.isoformat(), **counts},
        )
    logger.info("watch lists re-checked on %s: %s", as_of, counts)
    return counts
