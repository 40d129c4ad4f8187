"""The repayment fields of an archive as the loans app reports them: moved by loans' share
only, audited, announced once committed (rating re-rates)."""

from __future__ import annotations

import pytest

from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.errors import DomainError
from households.services import household_repayment_record_update
from households.signals import archives_changed
from households.tests.factories import BusinessEntityFactory, HouseholdFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    sent = []

    def receiver(sender, household_ids, entity_ids, reason, **kwargs):
        sent.append((household_ids, entity_ids, reason))

    archives_changed.connect(receiver, dispatch_uid="test_repayment_record")
    yield sent
    archives_changed.disconnect(dispatch_uid="test_repayment_record")


def test_the_count_moves_by_the_change_and_flags_only_when_given(
    announced, django_capture_on_commit_callbacks
):
    household = HouseholdFactory(overdue_count_24m=2)
    with django_capture_on_commit_callbacks(execute=True):
        changed = household_repayment_record_update(
            household_id=household.pk,
            overdue_count_change=1,
            has_outstanding_overdue=True,
            source="loans",
        )
    household.refresh_from_db()
    assert changed
    assert (household.overdue_count_24m, household.has_outstanding_overdue) == (3, True)
    assert household.has_bad_loan is False  # not given: left as it was
    assert announced == [([household.pk], [], "repayment_record")]
    event = AuditEvent.objects.get(action=AuditAction.HOUSEHOLD_REPAYMENT_RECORD)
    assert event.details["source"] == "loans"
    assert event.details["before"]["overdue_count_24m"] == 2


def test_the_count_never_goes_below_zero_and_no_change_announces_nothing(
    announced, django_capture_on_commit_callbacks
):
    household = HouseholdFactory(overdue_count_24m=0)
    with django_capture_on_commit_callbacks(execute=True):
        assert not household_repayment_record_update(
            household_id=household.pk, overdue_count_change=-1, source="loans"
        )
    household.refresh_from_db()
    assert household.overdue_count_24m == 0
    assert announced == []


def test_an_entitys_record_announces_the_entity(announced, django_capture_on_commit_callbacks):
    entity = BusinessEntityFactory()
    with django_capture_on_commit_callbacks(execute=True):
        household_repayment_record_update(entity_id=entity.pk, has_bad_loan=True, source="loans")
    entity.refresh_from_db()
    assert entity.has_bad_loan
    assert announced == [([], [entity.pk], "repayment_record")]


def test_one_subject_exactly():
    with pytest.raises(DomainError):
        household_repayment_record_update(source="loans")
