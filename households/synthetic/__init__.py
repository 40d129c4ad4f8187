"""A synthetic county (docs/design.md §4.1, §4.2, §5): geography with registered household counts,
branches and grids with staff, archived households with plausible families, business entities,
and watch-list entries. Deterministic for a given seed and ``as_of`` (only the AES-GCM nonces
and the rows' created/updated timestamps differ between runs).

Used by ``manage.py seed_county`` (full size), ``manage.py seed_demo`` (small) and benchmarks.
Households are generated village by village (flat memory) as plain rows holding exactly the
columns the services write (ciphertext, blind index, masked value, birth date, sex ...). Each
village draws from its own random stream, derived from the seed and the village's place in
the county, so on PostgreSQL several processes generate villages at once and the county is
still the same for a seed (``parallel``); the parent COPYs their rows, in village order and in
one transaction, from a writer thread. Primary keys are taken from the table sequences up
front, under a table lock, so members point at their households without a round trip.
Elsewhere (SQLite) one process and ``bulk_create``: the same county.
"""

from __future__ import annotations

import itertools
import random
from datetime import date

from django.db import connection, transaction
from django.utils import timezone
from faker import Faker

from households.models import (
    BusinessEntity,
    County,
    Household,
    Member,
    WatchlistEntityMatch,
    WatchlistEntry,
    WatchlistKind,
    WatchlistMatch,
    WatchlistUpload,
)
from households.synthetic.organisation import _build_organisation
from households.synthetic.parallel import _Work, generate, processes_for
from households.synthetic.people import _Names, _Place
from households.synthetic.plan import (
    WATCHLIST_SOURCE,
    CountyPlan,
    CountySummary,
    ProgressCallback,
    demo_plan,
)
from households.synthetic.writers import _CopyWriter, _OrmWriter
from households.watchlist_matching import watchlists_recheck

__all__ = [
    "WATCHLIST_SOURCE",
    "CountyPlan",
    "CountySummary",
    "ProgressCallback",
    "build_county",
    "demo_plan",
]


def build_county(plan: CountyPlan, *, progress: ProgressCallback | None = None) -> CountySummary:
    """Create the whole county in one transaction (all or nothing). Refuses to run twice for
    the same county code. Watch-list matches are made by ``households.watchlists``."""
    if County.objects.filter(code=plan.county_code, townships__isnull=False).exists():
        raise ValueError(f"县 {plan.county_code} 已存在，请换一个空数据库")
    as_of = plan.as_of or timezone.localdate()
    rng = random.Random(plan.seed)
    fake = Faker("zh_CN")
    fake.seed_instance(plan.seed)
    names = _Names(rng)
    with transaction.atomic():
        county, _ = County.objects.get_or_create(
            code=plan.county_code, defaults={"name": plan.county_name}
        )
        summary = CountySummary(county=county)
        places = _build_organisation(plan, names, fake, rng, summary)
        # One list file per kind, as the official lists arrive; kinds left empty are dropped.
        uploads = {
            kind.value: WatchlistUpload.objects.create(
                kind=kind,
                source=WATCHLIST_SOURCE,
                original_name=f"合成名单-{kind.value}-{plan.county_code}-{plan.seed}.csv",
            )
            for kind in WatchlistKind
        }
        writer = _CopyWriter() if connection.vendor == "postgresql" else _OrmWriter()
        writer.start()
        try:
            _build_households(plan, as_of, places, writer, uploads, summary, progress)
        finally:
            writer.finish()
        for upload in uploads.values():
            if upload.total_rows:
                upload.accepted_rows = upload.total_rows
                upload.save(update_fields=["total_rows", "accepted_rows"])
            else:
                upload.delete()
        _match_watchlists(as_of, summary)
    return summary


def _build_households(
    plan: CountyPlan,
    as_of: date,
    places: list[_Place],
    writer: _OrmWriter,
    uploads: dict[str, WatchlistUpload],
    summary: CountySummary,
    progress: ProgressCallback | None,
) -> None:
    through = BusinessEntity.owner_households.through
    first_ids = []  # each village's households are numbered before anything is drawn
    for place in places:
        first_ids.append(writer.next_id[Household])
        writer.next_id[Household] += place.archived
    copying = isinstance(writer, _CopyWriter)
    work = _Work(plan, as_of, places, first_ids, writer.encoder if copying else None)
    villages = generate(work, processes_for(plan, copying=copying))
    try:
        # the first villages are asked for (the processes forked) before the writer's thread
        first = next(villages, None)
        writer.start_copying()
        for chunk in itertools.chain([first] if first else [], villages):
            writer.write(Household, chunk.households)
            writer.assign_ids(Member, chunk.members)  # (COPY: the sequence numbers them)
            writer.write(Member, chunk.members)
            owners = [e.pop("household_id") for e in chunk.entities]
            writer.assign_ids(BusinessEntity, chunk.entities)
            writer.write(BusinessEntity, chunk.entities)
            links = [
                {"businessentity_id": e["id"], "household_id": h}
                for e, h in zip(chunk.entities, owners, strict=True)
            ]
            writer.assign_ids(through, links)
            writer.write(through, links)
            for entry in chunk.entries:
                upload = uploads[entry["kind"]]
                upload.total_rows += 1  # the entry's row in its kind's file
                entry["upload_id"], entry["row_number"] = upload.pk, upload.total_rows
            writer.assign_ids(WatchlistEntry, chunk.entries)
            writer.write(WatchlistEntry, chunk.entries)
            summary.households += len(chunk.households)
            summary.members += len(chunk.members)
            summary.entities += len(chunk.entities)
            summary.watchlist_entries += len(chunk.entries)
            if progress:
                progress(summary.households, plan.households)
    finally:
        villages.close()  # stops the processes if the writer failed


def _match_watchlists(as_of: date, summary: CountySummary) -> None:

    watchlists_recheck(as_of=as_of, announce=False)  # a bulk load: rated by a county run
    if connection.vendor == "postgresql":  # fresh statistics for the county run that follows
        with connection.cursor() as cursor:
            tables = (WatchlistMatch._meta.db_table, WatchlistEntityMatch._meta.db_table)
            cursor.execute(f"ANALYZE {', '.join(tables)}")
    # people matched (an entity whose operator is listed is matched too, but is not a person)
    summary.watchlist_matches = WatchlistMatch.objects.filter(cleared_at__isnull=True).count()
