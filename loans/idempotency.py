"""Idempotency of money-moving requests (apply, sign, draw, repay).

Each such request carries a key. Inside the service's transaction ``idempotency_claim``
inserts (scope, key, fingerprint of the payload); a unique constraint makes a second request
with the same key wait for the first one's transaction on PostgreSQL, then either find its
result (a retry: the service returns the first result, nothing moves again) or, with another
payload, be refused. A refused request rolls back, claim included, so retrying a refusal
simply asks again — nothing was moved.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, models, transaction

from fuxiang.errors import DomainError
from loans.models import IdempotencyRecord

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{8,100}$")
KEY_MESSAGE = "幂等键（Idempotency-Key）须为8至100位字母、数字或 _ . : -，每笔新请求使用新的键"


class Claim:
    """A claimed key: ``replay`` is the first result's row when this is a retry."""

    def __init__(self, record: IdempotencyRecord, replay: models.Model | None) -> None:
        self.record = record
        self.replay = replay

    def complete(self, result: models.Model) -> None:
        self.record.resource_type = result._meta.label_lower
        self.record.resource_id = result.pk
        self.record.save(update_fields=["resource_type", "resource_id"])


def fingerprint(payload: Mapping[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def idempotency_claim(
    *, scope: str, key: str, payload: Mapping[str, Any], model: type[models.Model]
) -> Claim:
    """Claim ``key`` within ``scope`` for this payload, or find the first result."""
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise DomainError({"idempotency_key": KEY_MESSAGE}, code="idempotency_key_invalid")
    digest = fingerprint(payload)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(scope=scope, key=key, fingerprint=digest)
        return Claim(record, None)
    except IntegrityError:
        record = IdempotencyRecord.objects.get(scope=scope, key=key)
    if record.fingerprint != digest:
        raise DomainError(
            {"idempotency_key": "该幂等键已用于另一笔内容不同的请求，请为新请求使用新的键"},
            code="idempotency_key_reused",
        )
    replay = model._default_manager.filter(pk=record.resource_id).first()
    if replay is None:  # pragma: no cover - the claim and its result commit together
        raise DomainError("该请求正在处理中，请稍后再试", code="idempotency_in_progress")
    replay.replayed = True  # type: ignore[attr-defined]
    return Claim(record, replay)
