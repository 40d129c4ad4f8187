"""Responses that may carry personal data are never kept by a browser or a proxy; staff
sessions end after a while idle and a working day at most; error pages in Chinese even with
DEBUG on."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers
from django.views import defaults

logger = logging.getLogger("django.request")

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


class FriendlyErrorPagesMiddleware:
    """With DEBUG on (the demo, development) show the same Chinese 404, 400 and 500 pages as
    production, not Django's debug pages (the yellow page lists every URL of the site and
    the settings). The traceback still goes to the console log. A developer who wants Django's
    pages sets DJANGO_DEBUG_PAGES=1. With DEBUG off Django already uses these templates, and
    403 always does."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    @staticmethod
    def _active() -> bool:
        return bool(settings.DEBUG) and not getattr(settings, "DEBUG_ERROR_PAGES", False)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self._active():
            # A path no URL matches never reaches a view (nor process_exception): answer it
            # here; CommonMiddleware (outside) still redirects "/path" to "/path/".
            try:
                resolve(request.path_info)
            except Resolver404 as exc:
                return defaults.page_not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not self._active():
            return None
        if isinstance(exception, Http404):
            return defaults.page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return None  # Django renders 403.html even with DEBUG on
        if isinstance(exception, (BadRequest, SuspiciousOperation)):
            return defaults.bad_request(request, exception)
        logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exception,
            extra={"request": request},
        )
        return defaults.server_error(request)
