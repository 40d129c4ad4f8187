"""A negative watch-list match suspends the household's current line in the transaction that
makes the match, and lifting the entry restores it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from credit import holds
from credit.models import LineStatus
from credit.selectors import household_current_line
from households.models import WatchlistEntry
from households.tests.factories import HouseholdFactory
from households.watchlist_matching import watchlists_recheck
from rating.models import RunScope
from rating.tests.test_scoring_sql import AS_OF  # noqa: F401  (run_to_end's date)

pytestmark = pytest.mark.django_db


@pytest.fixture
def lined(org, run_to_end):
    h = HouseholdFactory(village=org.village_a, committee_assessment="very_good")
    run_to_end(actor=org.head_office, scope=RunScope.COUNTY)
    line = household_current_line(h.pk)
    assert line is not None
    assert line.status == LineStatus.ACTIVE
    return h, line


def _list(h, kind: str) -> WatchlistEntry:
    head = h.members.get()
    return WatchlistEntry.objects.create(
        kind=kind,
        name=head.name,
        id_number_encrypted="x",
        id_number_index=head.id_number_index,
        id_number_masked=head.id_number_masked,
        source="法院",
        listed_on=date(2025, 1, 1),
    )


def test_a_dishonest_debtor_match_suspends_the_line_in_the_same_transaction(lined):
    h, line = lined
    entry = _list(h, "dishonest_debtor")
    seen = []

    def match_then_fail():
        with transaction.atomic():
            watchlists_recheck(as_of=timezone.localdate())
            line.refresh_from_db()
            seen.append((line.status, line.status_reason))  # before the match commits
            raise RuntimeError("the match is rolled back")

    with pytest.raises(RuntimeError):
        match_then_fail()
    assert seen == [(LineStatus.SUSPENDED, "名单命中（失信被执行人），授信已自动冻结")]
    line.refresh_from_db()
    assert line.status == LineStatus.ACTIVE  # …and so is the suspension

    watchlists_recheck(as_of=timezone.localdate())
    line.refresh_from_db()
    assert line.status == LineStatus.SUSPENDED

    # lifted: the line is restored at the next check
    entry.lifted_on = timezone.localdate() - timedelta(days=1)
    entry.save()
    watchlists_recheck(as_of=timezone.localdate())
    line.refresh_from_db()
    assert (line.status, line.status_reason) == (LineStatus.ACTIVE, "")


def test_a_subsistence_allowance_match_suspends_nothing(lined):
    h, line = lined
    _list(h, "dibao")
    assert watchlists_recheck(as_of=timezone.localdate())["matched"] == 1
    line.refresh_from_db()
    assert line.status == LineStatus.ACTIVE


def test_a_managers_own_suspension_is_not_lifted_with_a_list(org, lined):
    h, line = lined
    holds.line_set_status(actor=org.manager, line=line, status="suspended", reason="涉诉待查")
    entry = _list(h, "criminal_record")
    watchlists_recheck(as_of=timezone.localdate())
    entry.lifted_on = timezone.localdate() - timedelta(days=1)
    entry.save()
    watchlists_recheck(as_of=timezone.localdate())
    line.refresh_from_db()
    assert (line.status, line.status_reason) == (LineStatus.SUSPENDED, "涉诉待查")
