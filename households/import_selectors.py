"""Reads of archive import jobs, scoped to the user."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from fuxiang.accounts import roles
from fuxiang.accounts.models import Role
from households import selectors
from households.models import ImportJob


def import_jobs_visible_to(user: Any) -> QuerySet[ImportJob]:
    """Officers see their own uploads, branch managers those of their branch's officers, head
    office and auditors all (the rejected-row messages carry no personal identifiers)."""
    jobs = ImportJob.objects.select_related("uploaded_by")
    if roles.sees_everything(user):
        return jobs
    if getattr(user, "role", None) == Role.BRANCH_MANAGER:
        officers = selectors.grids_visible_to(user).values("officers")
        return jobs.filter(Q(uploaded_by=user) | Q(uploaded_by__in=officers))
    return jobs.filter(uploaded_by=user)
