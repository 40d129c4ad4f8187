"""Retry a money-moving service once when PostgreSQL gives up on its transaction.

Every service locks in one fixed order — the borrower's exposure row (their line's use), then
the contract, then the loan, each with ``select_for_update`` — so requests of one borrower
queue instead of crossing. Should PostgreSQL still abort one (a serialization failure,
SQLSTATE 40001, or a deadlock, 40P01: another lock order in a future path, a stricter
isolation level), the whole service runs once more from the start, on fresh rows; a second
failure is raised. Inside a caller's transaction nothing can be retried (the caller's
transaction is aborted too), so the error goes up unchanged."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import OperationalError, transaction

logger = logging.getLogger(__name__)

RETRYABLE = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
F = TypeVar("F", bound=Callable[..., Any])


def is_retryable(exc: BaseException) -> bool:
    cause = exc.__cause__
    return (
        getattr(cause, "sqlstate", None) in RETRYABLE or getattr(cause, "pgcode", None) in RETRYABLE
    )


def retry_once_on_conflict(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if transaction.get_connection().in_atomic_block:
            return func(*args, **kwargs)
        try:
            return func(*args, **kwargs)
        except OperationalError as exc:
            if not is_retryable(exc):
                raise
            logger.warning("%s: %s, retrying once", func.__name__, exc.__cause__.__class__.__name__)
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
