"""A health check for load balancers and compose (the home page belongs to an app), and the
page that answers while a service is down."""

from __future__ import annotations

import sys

import django.db
import redis.exceptions
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.views import defaults
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


# Errors that mean a service the page needs is down or unreachable (PostgreSQL refusing
# connections or dropping one, Redis away), not a bug: the page asks to try again later.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    django.db.OperationalError,
    django.db.InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
RETRY_AFTER_SECONDS = 30


def is_outage(error: BaseException | None) -> bool:
    """Whether ``error`` (or an error it was raised from) is a service outage."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OUTAGE_ERRORS):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a service outage answers 503 "请稍后再试" (with ``Retry-After``); any
    other error Django's plain 500 page. The outage page is rendered without the request's
    context processors, so it needs neither the database nor the cache."""
    if not is_outage(sys.exc_info()[1]):
        return defaults.server_error(request)
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response
