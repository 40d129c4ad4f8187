"""Responses that may carry personal data are never kept by a browser or a proxy."""

from __future__ import annotations

from collections.abc import Callable

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
