"""Reads of the whitelists: a product's versions, the snapshot at a version, the delta
between two versions (range queries on the temporal rows' indexed columns)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from loans.models import WhitelistEntry, WhitelistVersion


def whitelist_versions(product_id: int) -> QuerySet[WhitelistVersion]:
    return WhitelistVersion.objects.filter(product_id=product_id).order_by("-number")


def whitelist_snapshot(product_id: int, number: int) -> QuerySet[WhitelistEntry]:
    """The entries of version ``number``: valid_from ≤ number < valid_to."""
    return WhitelistEntry.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=number),
        product_id=product_id,
        valid_from__lte=number,
    )


def _subject(entry: WhitelistEntry) -> tuple[str, int]:
    if entry.household_id is not None:
        return ("household", entry.household_id)
    return ("entity", entry.business_entity_id)  # type: ignore[return-value]


def _figures(entry: WhitelistEntry) -> tuple[Any, ...]:
    return (entry.village_id, entry.grade, entry.amount, entry.rate_bp, entry.line_valid_to)


@dataclass
class Delta:
    added: list[WhitelistEntry] = field(default_factory=list)
    changed: list[WhitelistEntry] = field(default_factory=list)
    removed: list[WhitelistEntry] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "removed": len(self.removed),
        }


def whitelist_delta(product_id: int, since: int, until: int) -> Delta:
    """What changed from version ``since`` to ``until``: subjects that came in (added), whose
    figures changed (changed: their entry at ``until``), that left (removed: their entry at
    ``since``)."""
    entries = WhitelistEntry.objects.filter(product_id=product_id)
    began = {
        _subject(e): e
        for e in entries.filter(valid_from__gt=since, valid_from__lte=until).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=until)
        )
    }
    ended = {
        _subject(e): e
        for e in entries.filter(valid_to__gt=since, valid_to__lte=until, valid_from__lte=since)
    }
    delta = Delta()
    for subject, entry in began.items():
        before = ended.get(subject)
        if before is None:
            delta.added.append(entry)
        elif _figures(before) != _figures(entry):  # (out and back in unchanged: no change)
            delta.changed.append(entry)
    delta.removed = [e for s, e in ended.items() if s not in began]
    return delta
