"""The home page (my grids) and a health check for load balancers and compose."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from households.selectors import grid_overview


@login_required
def home(request: HttpRequest) -> HttpResponse:
    grids = grid_overview(user=request.user)
    registered = sum(g.registered for g in grids)
    archived = sum(g.archived for g in grids)
    return render(
        request,
        "home.html",
        {
            "grids": grids,
            "registered": registered,
            "archived": archived,
            "coverage": archived / registered if registered else None,
        },
    )


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
