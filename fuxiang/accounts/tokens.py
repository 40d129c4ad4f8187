"""API tokens (django-rest-knox): stored as SHA-512 digests, never in plaintext, and expiring
after ``REST_KNOX["TOKEN_TTL"]`` (``API_TOKEN_TTL_HOURS``). A user revokes the token in hand or
all of theirs; head office revokes anyone's; a password change or deactivation revokes them all
(``fuxiang.accounts.receivers``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.http import HttpRequest
from knox.models import AuthToken

from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record


class RevokeReason:
    LOGOUT_ALL = "logout_all"
    HEAD_OFFICE = "head_office"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105  (a reason, not a password)
    DEACTIVATED = "deactivated"


@transaction.atomic
def api_token_create(*, user: Any) -> tuple[AuthToken, str]:
    """Issue a token for ``user``; returns the stored row and the token itself, which exists
    only in this answer (the database keeps its digest)."""
    return AuthToken.objects.create(user=user)


@transaction.atomic
def api_token_revoke(*, token: AuthToken, request: HttpRequest | None = None) -> None:
    """Sign out of the API with this one token (its owner's other tokens keep working). Takes
    the request to hand Django's ``user_logged_out`` signal, as Django's own logout does."""
    user = token.user
    token.delete()
    user_logged_out.send(sender=type(user), request=request, user=user)


@transaction.atomic
def api_tokens_revoke(
    *,
    user: Any,
    reason: str,
    actor: Any = None,
    audit: AuditContext | None = None,
) -> int:
    """Revoke every token of ``user``; returns how many there were. Audited when someone asked
    for it (``actor``) and whenever tokens were revoked."""
    count, _ = AuthToken.objects.filter(user=user).delete()
    if actor is not None or count:
        audit_record(
            action=AuditAction.API_TOKENS_REVOKE,
            actor=actor,
            target=user,
            target_label=user.username,
            audit=audit,
            details={"reason": reason, "tokens": count},
        )
    return count
