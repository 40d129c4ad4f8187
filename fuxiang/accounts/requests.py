"""The type of a back-office view's request: behind ``@login_required`` its user is a signed-in
``User`` (django-stubs' way to say so), so services typed ``actor: User | None`` accept it."""

from __future__ import annotations

from django.http import HttpRequest

from fuxiang.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User
