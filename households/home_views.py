"""The home page: the coverage of the user's grids (我的网格). It moves to the dashboards app
once that app shows ratings, credit and loans beside the archives."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from households.selectors import grid_overview


@login_required
def home(request: HttpRequest) -> HttpResponse:
    grids = grid_overview(user=request.user)
    registered = sum(g.registered for g in grids)
    archived = sum(g.archived for g in grids)
    return render(
        request,
        "households/home.html",
        {
            "grids": grids,
            "registered": registered,
            "archived": archived,
            "coverage": archived / registered if registered else None,
        },
    )
