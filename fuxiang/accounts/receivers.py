"""Credentials changed, so the API tokens go: a password change or a deactivation revokes
every token of the user.

A signal on the user model rather than a service, because there is no password-change service
to put it in: passwords change through Django's own paths (the admin's password form,
``manage.py changepassword``, ``set_password`` in a shell), and each of them ends in
``User.save()``. Sessions need nothing: Django already ends them when the password hash
changes, and refuses inactive users."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import pre_save
from django.dispatch import receiver

from fuxiang.accounts import tokens
from fuxiang.accounts.models import User
from fuxiang.middleware import SEEN_AT, SIGNED_IN_AT

_WATCHED = frozenset({"password", "is_active"})


@receiver(pre_save, sender=User)
def _revoke_tokens_when_credentials_change(
    sender: Any, instance: User, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    if raw or instance.pk is None:
        return
    if update_fields is not None and not _WATCHED & set(update_fields):
        return  # e.g. last_login on every sign-in
    stored = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if stored is None:
        return
    if stored["password"] != instance.password:
        reason = tokens.RevokeReason.PASSWORD_CHANGED
    elif stored["is_active"] and not instance.is_active:
        reason = tokens.RevokeReason.DEACTIVATED
    else:
        return
    tokens.api_tokens_revoke(user=instance, reason=reason)


@receiver(user_logged_in)
def _start_the_staff_session_clock(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A sign-in starts the 8-hour and 30-minute clocks afresh (``login`` keeps the data of
    the session it cycles, so an earlier sign-in's time would otherwise carry over)."""
    session = getattr(request, "session", None)
    if session is not None:
        session[SIGNED_IN_AT] = session[SEEN_AT] = int(time.time())
