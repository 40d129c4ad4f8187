"""Queued work really runs on a separate Celery worker process over Redis."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command

from fuxiang import crypto
from fuxiang.audit.models import AuditAction, AuditEvent
from households import services
from households.models import Member
from households.tests.factories import HouseholdFactory, MemberFactory

pytestmark = [pytest.mark.services]

OLD_KEY = "old2025"


@pytest.fixture
def written_with_old_key(settings, org):
    """Members whose IDs and phones were encrypted before the last key rotation."""
    active = settings.FUXIANG_DATA_KEY_ID
    settings.FUXIANG_DATA_KEY_ID = OLD_KEY
    crypto.keyring.cache_clear()
    try:
        household = HouseholdFactory(village=org.village_a, head__phone="13800001111")
        MemberFactory(household=household, phone="13900002222")
    finally:
        settings.FUXIANG_DATA_KEY_ID = active
        crypto.keyring.cache_clear()
    return {
        m.pk: (
            crypto.decrypt(m.id_number_encrypted, column=services.ID_COLUMN),
            crypto.decrypt(m.phone_encrypted, column=services.PHONE_COLUMN),
        )
        for m in Member.objects.all()
    }


def test_key_rotation_queued_from_the_command_runs_on_the_worker(
    celery_worker, written_with_old_key
):
    assert all(m.id_number_encrypted.startswith(f"{OLD_KEY}$") for m in Member.objects.all())
    call_command("rotate_data_keys", "--queue")

    deadline = time.monotonic() + 60
    while not AuditEvent.objects.filter(action=AuditAction.KEY_ROTATION).exists():
        assert time.monotonic() < deadline, celery_worker.log.read_text()
        time.sleep(0.3)

    active = crypto.keyring().active_id
    for member in Member.objects.all():
        assert member.id_number_encrypted.startswith(f"{active}$")
        assert member.phone_encrypted.startswith(f"{active}$")
        id_number, phone = written_with_old_key[member.pk]
        assert crypto.decrypt(member.id_number_encrypted, column=services.ID_COLUMN) == id_number
        assert crypto.decrypt(member.phone_encrypted, column=services.PHONE_COLUMN) == phone
    event = AuditEvent.objects.get(action=AuditAction.KEY_ROTATION)
    assert event.details["re_encrypted"] == 4
    assert "rotate_data_keys" in celery_worker.log.read_text()
