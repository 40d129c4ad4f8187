"""Placeholder; the watch-list pages are being built."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def watchlist_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("名单管理")
