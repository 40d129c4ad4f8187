"""The managers' menu items with their badges, loaded by htmx after the page (base.html), so
no page waits for the counts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboards.menu_selectors import menu_counts
from fuxiang.accounts import roles
from fuxiang.accounts.requests import AuthenticatedHttpRequest


@login_required
@require_GET
def menu_badges(request: AuthenticatedHttpRequest) -> HttpResponse:
    """待审批 with the overrides waiting, and 逾期 (villagers' requests and loans past due) with
    where to act on each; an empty answer for a role that approves nothing."""
    context = {
        "reviewer": roles.can_approve_override(request.user),
        "counts": menu_counts(request.user),
    }
    return render(request, "dashboards/_menu_badges.html", context)
