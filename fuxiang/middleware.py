"""Responses that may carry personal data are never kept by a browser or a proxy; staff
sessions end after a while idle and a working day at most."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers

API_PREFIX = "/api/"


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (and Django's other never-cache headers) on every response
    to a signed-in user and on every API response, whatever the view set. The rule is broad on
    purpose: which page shows a name or an ID changes, the rule does not. Static files are
    answered by WhiteNoise before this and keep their long caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if "no-store" in response.get("Cache-Control", ""):
            return response  # the view already said so
        user = getattr(request, "user", None)
        if request.path_info.startswith(API_PREFIX) or getattr(user, "is_authenticated", False):
            add_never_cache_headers(response)
        return response


SIGNED_IN_AT = "fx_staff_signed_in_at"
SEEN_AT = "fx_staff_seen_at"
SEEN_EVERY = 60  # seconds: the last-seen time is written at most once a minute


class StaffSessionTimeoutMiddleware:
    """Signs a member of staff out after ``STAFF_SESSION_IDLE_SECONDS`` (30 minutes) without a
    request and ``STAFF_SESSION_MAX_SECONDS`` (8 hours) after signing in, however busy. The
    request then goes on as anonymous: a page sends to the login, the API answers 401/403.
    Only sessions signed in to the back office are concerned (the villager's lookup session
    is anonymous and keeps its own rule); API token requests carry no session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if getattr(user, "is_authenticated", False) and hasattr(request, "session"):
            now = int(time.time())
            signed_in = request.session.get(SIGNED_IN_AT)
            seen = request.session.get(SEEN_AT)
            if signed_in is None or seen is None:
                request.session[SIGNED_IN_AT] = signed_in = signed_in or now
                request.session[SEEN_AT] = seen = now
            if (
                now - seen > settings.STAFF_SESSION_IDLE_SECONDS
                or now - signed_in > settings.STAFF_SESSION_MAX_SECONDS
            ):
                logout(request)  # flushes the session; the request goes on as anonymous
            elif now - seen >= SEEN_EVERY:
                request.session[SEEN_AT] = now
        return self.get_response(request)
