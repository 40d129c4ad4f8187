"""Housekeeping of the lookup's short-lived rows."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from qrlookup.models import SmsOutboxMessage, VerificationChallenge


@transaction.atomic
def verification_data_purge() -> int:
    """Delete challenges and outbox messages older than ``QRLOOKUP_RETENTION_DAYS``."""
    before = timezone.now() - timedelta(days=settings.QRLOOKUP_RETENTION_DAYS)
    challenges, _ = VerificationChallenge.objects.filter(created_at__lt=before).delete()
    messages, _ = SmsOutboxMessage.objects.filter(created_at__lt=before).delete()
    return challenges + messages
