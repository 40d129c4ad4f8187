"""The synthetic county: deterministic, valid IDs, plausible families, coverage gap, entities,
watch lists; on PostgreSQL written with COPY and still usable by the ORM afterwards."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.db.models import Count, Q, Sum

from fuxiang import crypto
from fuxiang.accounts.models import User
from fuxiang.masking import mask_resident_id
from households import services
from households.identity import make_resident_id, parse_resident_id, validate_uscc
from households.models import (
    BusinessEntity,
    EntityKind,
    Household,
    Member,
    Relation,
    Village,
    WatchlistEntry,
    WatchlistMatch,
    WatchlistUpload,
)
from households.synthetic import WATCHLIST_SOURCE, build_county, demo_plan

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 15)
COUNTY_CODE = "430223"


class _Undo(Exception):
    def __init__(self, snapshot: dict):
        self.snapshot = snapshot


def _snapshot() -> dict:
    return {
        "members": list(
            Member.objects.order_by("id").values_list(
                "household__address",
                "name",
                "id_number_index",  # the ID number itself (its ciphertext has a random nonce)
                "birth_date",
                "sex",
                "phone_index",
                "relation",
                "education",
            )
        ),
        "households": list(
            Household.objects.order_by("id").values_list(
                "village__name", "address", "income_crops", "income_wages", "deposits"
            )
        ),
        "entities": list(
            BusinessEntity.objects.order_by("id").values_list(
                "name", "uscc", "legal_rep_id_index", "owner_households__address"
            )
        ),
        "entries": list(
            WatchlistEntry.objects.order_by("id").values_list(
                "kind", "name", "listed_on", "id_number_index", "upload__kind", "row_number"
            )
        ),
        "matches": sorted(
            WatchlistMatch.objects.values_list("entry__id_number_index", "member__id_number_index")
        ),
    }


def _county_snapshot(seed: int, **plan: object) -> dict:
    """Build a county, take its snapshot, and roll it back so the next build starts clean."""
    try:
        with transaction.atomic():
            build_county(demo_plan(300, seed=seed, as_of=AS_OF, **plan))
            raise _Undo(_snapshot())
    except _Undo as undo:
        return undo.snapshot


def test_same_seed_gives_the_same_county_and_another_seed_a_different_one():
    first = _county_snapshot(7)
    again = _county_snapshot(7)
    other = _county_snapshot(8)
    assert first == again
    assert len(first["members"]) > 600
    assert first["members"] != other["members"]
    assert first["households"] != other["households"]


def test_the_county_is_the_same_whatever_the_number_of_processes_generating_it(postgres):
    from households.synthetic.parallel import processes_for

    plans = [demo_plan(300, seed=7, as_of=AS_OF, processes=n) for n in (1, 2, 3)]
    assert [processes_for(plan, copying=True) for plan in plans] == [1, 2, 3]
    one, two, three = (_county_snapshot(7, processes=n) for n in (1, 2, 3))
    assert len(one["members"]) > 600
    assert len(one["entries"]) > 0
    assert len(one["matches"]) > 0
    assert one == two == three


def test_one_process_per_core_for_a_large_county_written_with_copy_only(monkeypatch):
    import multiprocessing
    import os

    from households.synthetic import CountyPlan
    from households.synthetic.parallel import MAX_PROCESSES, processes_for

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert processes_for(CountyPlan(households=222_200), copying=True) == 2
    assert processes_for(CountyPlan(households=5_000), copying=True) == 1
    assert processes_for(CountyPlan(households=222_200), copying=False) == 1  # SQLite
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert processes_for(CountyPlan(households=222_200), copying=True) == MAX_PROCESSES
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert processes_for(CountyPlan(households=222_200, processes=2), copying=True) == 1


def test_every_member_id_is_valid_for_the_county_and_matches_the_stored_columns():
    build_county(demo_plan(300, as_of=AS_OF))
    members = list(Member.objects.all())
    assert len(members) > 600
    for member in members:
        number = crypto.decrypt(member.id_number_encrypted, column=services.ID_COLUMN)
        parsed = parse_resident_id(number, as_of=AS_OF)
        assert parsed.area_code == COUNTY_CODE
        assert parsed.birth_date == member.birth_date
        assert parsed.sex == member.sex
        assert member.id_number_masked == mask_resident_id(number)
        assert member.id_number_index == services.resident_id_index(number)
        if member.phone_encrypted:
            phone = crypto.decrypt(member.phone_encrypted, column=services.PHONE_COLUMN)
            assert member.phone_index == services.phone_index(phone)
    assert len({m.id_number_index for m in members}) == len(members)


def test_about_88_percent_of_registered_households_are_archived():
    summary = build_county(demo_plan(300, as_of=AS_OF))
    villages = Village.objects.annotate(archived=Count("households"))
    for village in villages:
        assert village.registered_households >= village.archived
    registered = villages.aggregate(total=Sum("registered_households"))["total"]
    assert Household.objects.count() == summary.households == 300
    assert 0.86 <= 300 / registered <= 0.90


def test_each_household_has_one_head_and_children_are_younger_than_their_parents():
    build_county(demo_plan(300, as_of=AS_OF))
    heads = Household.objects.annotate(heads=Count("members", filter=Q(members__relation="head")))
    assert set(heads.values_list("heads", flat=True)) == {1}
    sizes = Household.objects.annotate(n=Count("members")).values_list("n", flat=True)
    assert min(sizes) >= 1
    assert max(sizes) <= 6
    assert 2.5 <= sum(sizes) / len(sizes) <= 3.5
    for household in Household.objects.prefetch_related("members"):
        people = list(household.members.all())
        head = next(m for m in people if m.relation == Relation.HEAD)
        for member in people:
            if member.relation == Relation.SPOUSE:
                assert member.sex != head.sex
            if member.relation == Relation.CHILD:
                assert member.birth_date - head.birth_date > timedelta(days=365 * 18)
            if member.relation == Relation.PARENT:
                assert head.birth_date - member.birth_date > timedelta(days=365 * 18)


def test_entities_have_valid_codes_and_belong_to_their_legal_representatives_household():
    build_county(demo_plan(1000, as_of=AS_OF))
    entities = list(BusinessEntity.objects.prefetch_related("owner_households__members"))
    assert 15 <= len(entities) <= 60  # ~3.6% of 1,000
    assert {e.kind for e in entities} >= {EntityKind.INDIVIDUAL_BUSINESS, EntityKind.COOPERATIVE}
    for entity in entities:
        if entity.kind == EntityKind.LARGE_GROWER:
            assert entity.uscc is None
        else:
            assert validate_uscc(entity.uscc) == entity.uscc
            assert entity.uscc[2:8] == COUNTY_CODE
        if entity.kind == EntityKind.COOPERATIVE:
            assert entity.uscc.startswith("93")
        (owner,) = entity.owner_households.all()
        head = next(m for m in owner.members.all() if m.relation == Relation.HEAD)
        assert entity.legal_rep_id_index == head.id_number_index
        assert entity.legal_rep_name == head.name


def test_about_one_percent_of_people_are_on_watch_lists_and_archived_ones_are_matched():
    summary = build_county(demo_plan(3000, as_of=AS_OF))
    entries = WatchlistEntry.objects.all()
    people = Member.objects.count()
    assert 0.007 <= entries.count() / people <= 0.013
    assert {e.source for e in entries} == {WATCHLIST_SOURCE}
    assert entries.filter(lifted_on__isnull=False).exists()
    assert entries.values("kind").distinct().count() >= 4
    uploads = WatchlistUpload.objects.annotate(n=Count("entries"))
    assert uploads.count() == entries.values("kind").distinct().count()
    assert sum(upload.n for upload in uploads) == entries.count()
    for upload in uploads:
        assert set(upload.entries.values_list("kind", flat=True)) == {upload.kind}
        assert upload.source == WATCHLIST_SOURCE
        assert upload.total_rows == upload.accepted_rows == upload.n
        rows = sorted(upload.entries.values_list("row_number", flat=True))
        assert rows == list(range(1, upload.n + 1))
    active = entries.filter(Q(lifted_on__isnull=True) | Q(lifted_on__gt=AS_OF))
    archived = set(Member.objects.values_list("id_number_index", flat=True))
    expected = {e.pk for e in active if e.id_number_index in archived}
    matched = WatchlistMatch.objects.filter(cleared_at__isnull=True)
    assert set(matched.values_list("entry_id", flat=True)) == expected
    assert summary.watchlist_matches == len(expected) > 0


def _archive_one_more_household() -> Household:
    officer = User.objects.get(username="officer1")
    village = Village.objects.filter(grid__officers=officer).first()
    return services.household_create(
        actor=officer,
        village=village,
        head={
            "name": "谭新户",
            "id_number": make_resident_id("430221", date(1985, 3, 4), 21),
            "relation": Relation.HEAD,
        },
        fields={"income_crops": 30000},
    )


def test_the_orm_can_archive_households_after_seeding():
    build_county(demo_plan(300, as_of=AS_OF))
    last = Household.objects.order_by("-id").first().pk
    household = _archive_one_more_household()
    assert household.pk > last
    assert household.members.get().pk > Member.objects.exclude(household=household).latest("id").pk


def test_postgresql_copy_path_writes_the_same_county_and_leaves_sequences_usable(postgres):
    summary = build_county(demo_plan(300, as_of=AS_OF))
    assert Household.objects.count() == summary.households == 300
    assert Member.objects.count() == summary.members
    assert BusinessEntity.objects.count() == summary.entities
    assert WatchlistEntry.objects.count() == summary.watchlist_entries
    member = Member.objects.select_related("household__village").order_by("?").first()
    number = crypto.decrypt(member.id_number_encrypted, column=services.ID_COLUMN)
    assert parse_resident_id(number, as_of=AS_OF).birth_date == member.birth_date
    assert member.created_at is not None
    head = Member.objects.filter(relation="head").first()
    assert head.phone_masked == "" or "****" in head.phone_masked
    household = _archive_one_more_household()
    assert household.pk > Household.objects.exclude(pk=household.pk).latest("id").pk


def test_copy_writes_values_that_cannot_go_as_text_as_csv_and_nulls_as_nulls(postgres):
    from households.synthetic import people

    with pytest.MonkeyPatch.context() as patch:  # a backslash and a tab in the entities' names
        patch.setattr(people, "TRADES", ("批发\\零售", "餐\t饮"))
        patch.setattr(people, "PRODUCTS", ("水稻\\种植", "生猪\t养殖"))
        build_county(demo_plan(1000, as_of=AS_OF))
    names = list(BusinessEntity.objects.values_list("name", "industry"))
    assert names
    assert all("\\" in industry or "\t" in industry for _, industry in names)
    assert any("\t" in name for name, _ in names)
    without_consent = Household.objects.filter(rating_consent=False)
    assert without_consent.exists()
    assert set(without_consent.values_list("consent_recorded_at", flat=True)) == {None}
    assert not Household.objects.filter(rating_consent=True, consent_recorded_at=None).exists()


def _catalogue() -> set[tuple[str, str]]:
    """Every index and constraint of the tables the generator fills, as PostgreSQL lists them."""
    from django.db import connection

    from households.synthetic.writers import BULK_MODELS

    tables = [m._meta.db_table for m in BULK_MODELS]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[])",
            [tables],
        )
        found = set(cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) || ' ' || condeferrable::text "
            "|| convalidated::text FROM pg_constraint WHERE conrelid = ANY(%s::regclass[])",
            [tables],
        )
        return found | set(cursor.fetchall())


def test_indexes_and_constraints_dropped_for_the_load_come_back_the_same(postgres):
    before = _catalogue()
    build_county(demo_plan(300, as_of=AS_OF))
    assert _catalogue() == before
    assert any("UNIQUE (id_number_index)" in definition for _, definition in before)


def test_a_duplicate_id_fails_the_whole_county_when_the_unique_index_is_built(postgres):
    from django.db import IntegrityError

    from households.synthetic import people

    real_new = people._Ids.new

    def same_id_twice(self, birth, male):
        number = real_new(self, birth, male)
        self.last = getattr(self, "last", None) or number
        return self.last  # every person gets the first person's ID

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(people._Ids, "new", same_id_twice)
        with pytest.raises(IntegrityError):
            build_county(demo_plan(50, as_of=AS_OF))
    assert not Household.objects.exists()
    assert not Member.objects.exists()


def test_a_second_county_goes_into_tables_that_keep_their_indexes(postgres):
    build_county(demo_plan(100, as_of=AS_OF))
    before = _catalogue()
    build_county(demo_plan(100, as_of=AS_OF, county_code="430224", county_name="茶陵县"))
    assert _catalogue() == before
    assert Household.objects.count() == 200
