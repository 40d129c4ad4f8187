"""``archives_changed``: what the apps to the right of households hear, and when — after the
commit only, each household once per transaction, an import once for all its households."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction

from households import services
from households.models import HouseholdStatus
from households.signals import archives_changed
from households.tests.factories import HouseholdFactory, MemberFactory, next_resident_id
from households.tests.test_imports import family, run
from households.tests.test_watchlists import do_import, row

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard(settings):
    """Every ``archives_changed`` sent during the test, as (household ids, reason). Rating's
    own receiver is left out (it is tested with rating)."""
    settings.RATING_AUTO_RERATE = False
    sent = []

    def receiver(sender, *, household_ids, reason, **kwargs):
        sent.append((household_ids, reason))

    archives_changed.connect(receiver, dispatch_uid="test-heard")
    yield sent
    archives_changed.disconnect(dispatch_uid="test-heard")


def head():
    return {"name": "张建国", "id_number": next_resident_id(), "health": "good"}


def test_an_edit_is_announced_only_once_committed(org, heard, django_capture_on_commit_callbacks):
    household = HouseholdFactory(village=org.village_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.household_update(
            actor=org.officer_a, household=household, fields={"income_wages": Decimal(90000)}
        )
        assert heard == []  # not before the commit
    assert heard == [([household.pk], "household_update")]


def test_changes_in_one_transaction_are_announced_once_per_household(
    org, heard, django_capture_on_commit_callbacks
):
    first = HouseholdFactory(village=org.village_a)
    second = HouseholdFactory(village=org.village_a)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for income in (50000, 60000, 70000):
            services.household_update(
                actor=org.officer_a, household=first, fields={"income_wages": Decimal(income)}
            )
        member = services.member_create(
            actor=org.officer_a,
            household=first,
            fields={"relation": "spouse", "name": "李桂花", "id_number": next_resident_id()},
        )
        services.member_update(actor=org.officer_a, member=member, fields={"health": "poor"})
        services.household_update(
            actor=org.officer_a, household=second, fields={"status": HouseholdStatus.CLOSED}
        )
    assert heard == [
        (sorted([first.pk, second.pk]), "household_update,member_create,member_update")
    ]


def test_a_rolled_back_change_is_never_announced(org, heard, django_capture_on_commit_callbacks):
    household = HouseholdFactory(village=org.village_a)

    @transaction.atomic
    def edit_then_fail():
        services.household_update(
            actor=org.officer_a, household=household, fields={"rating_consent": False}
        )
        raise RuntimeError("the request failed after the edit")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        edit_then_fail()
    assert callbacks == []
    assert heard == []
    household.refresh_from_db()
    assert household.rating_consent


def test_an_unchanged_save_is_not_announced(org, heard, django_capture_on_commit_callbacks):
    household = HouseholdFactory(village=org.village_a, income_wages=Decimal(40000))
    member = MemberFactory(household=household, relation="spouse", health="good")
    with django_capture_on_commit_callbacks(execute=True):
        services.household_update(
            actor=org.officer_a, household=household, fields={"income_wages": Decimal(40000)}
        )
        services.member_update(actor=org.officer_a, member=member, fields={"health": "good"})
    assert heard == []


def test_a_new_household_and_new_members_are_announced(
    org, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        household = services.household_create(
            actor=org.officer_a, village=org.village_a, head=head(), fields={}
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.member_create(
            actor=org.officer_a,
            household=household,
            fields={"relation": "child", "name": "张小明", "id_number": next_resident_id()},
        )
    assert heard == [([household.pk], "household_create"), ([household.pk], "member_create")]


def test_an_import_announces_all_its_households_at_once(
    org, heard, django_capture_on_commit_callbacks, monkeypatch
):
    from households.imports import household_rows

    monkeypatch.setattr(household_rows, "CHUNK_HOUSEHOLDS", 2)  # three chunks, one signal
    with django_capture_on_commit_callbacks(execute=True):
        run([r for _ in range(5) for r in family(org.village_a)], org.officer_a)
    assert len(heard) == 1
    ids, reason = heard[0]
    assert reason == "import"
    assert ids == sorted(org.village_a.households.values_list("pk", flat=True))
    assert len(ids) == 5

    with django_capture_on_commit_callbacks(execute=True):
        run(family(org.village_a), org.officer_a, dry_run=True)
    assert len(heard) == 1  # a dry run changes nothing, so announces nothing


def test_a_watch_list_match_and_its_lifting_are_announced(
    org, heard, django_capture_on_commit_callbacks
):
    listed_id = next_resident_id(date(1975, 3, 9))
    household = HouseholdFactory(village=org.village_a, head__id_number=listed_id)
    HouseholdFactory(village=org.village_a)  # not listed: not announced
    with django_capture_on_commit_callbacks(execute=True):
        do_import(org.head_office, [row(listed_id)])
    with django_capture_on_commit_callbacks(execute=True):
        do_import(org.head_office, [row(listed_id, lifted=date(2026, 1, 1))])
    assert heard == [([household.pk], "watchlist"), ([household.pk], "watchlist")]
