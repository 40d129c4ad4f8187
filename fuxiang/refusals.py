"""The one view helper that turns a service's typed refusal into HTTP for the back office.

The API's exception handler (``fuxiang.api``) answers ``PermissionDenied`` with a 403 the same
way; views catch a service's ``DomainError``, call :func:`refusal_raise` first and show any
other refusal on their form or as a message.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as HttpForbidden

from fuxiang.errors import DomainError, PermissionDenied


def refusal_raise(error: DomainError) -> None:
    """Raise a 403 (rendered by ``403.html`` with the service's message) when ``error`` is a
    ``PermissionDenied``; return otherwise."""
    if isinstance(error, PermissionDenied):
        raise HttpForbidden(error.message) from error
