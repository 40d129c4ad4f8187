"""Officers' visits to households and business entities."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from fuxiang.accounts import roles
from fuxiang.accounts.models import User
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, NotFound, PermissionDenied
from households.models import BusinessEntity, Household, Visit
from households.selectors import business_entities_editable_by, households_editable_by
from households.services._common import _assign, _full_clean

VISIT_FIELDS = (
    "visited_at",
    "place",
    "met_person",
    "outcome",
    "notes",
    "latitude",
    "longitude",
    "photo",
)


@transaction.atomic
def visit_create(
    *,
    actor: User | None,
    fields: Mapping[str, Any],
    household: Household | None = None,
    business_entity: BusinessEntity | None = None,
    audit: AuditContext | None = None,
) -> Visit:
    """Record an officer's visit to a household or business entity of their grids."""
    if not roles.can_record_visit(actor):
        raise PermissionDenied("只有客户经理可以登记走访")
    if (household is None) == (business_entity is None):
        raise DomainError("走访对象应为一户农户或一个经营主体")
    # The subject's village as it is now, its row held until the visit is written: the
    # instance handed in was read earlier, and a move (which locks the row too, then moves
    # the visits it finds) must not pass the visit by.
    subjects = (
        households_editable_by(actor).filter(pk=household.pk)
        if household is not None
        else business_entities_editable_by(actor).filter(pk=business_entity.pk)  # type: ignore[union-attr]
    )
    village_id = _village_held(subjects)
    if village_id is None:
        raise NotFound()
    visit = Visit(
        officer=actor,
        household=household,
        business_entity=business_entity,
        village_id=village_id,
    )
    _assign(visit, fields, VISIT_FIELDS)
    if visit.visited_at and visit.visited_at > timezone.now():
        raise DomainError({"visited_at": "走访时间不能晚于现在"})
    _full_clean(visit)
    visit.save()
    audit_record(
        action=AuditAction.VISIT_CREATE,
        actor=actor,
        target=visit,
        target_label=str(visit),
        audit=audit,
    )
    return visit


def _village_held(subjects: QuerySet[Any]) -> int | None:
    """The village of the one subject of ``subjects`` (``None``: not there, or out of scope),
    its row held ``FOR KEY SHARE`` on PostgreSQL until the transaction ends: a move (``FOR
    UPDATE``) waits for it, an edit's save does not (nor does a publish: it writes the grade
    rows, not the household)."""
    villages = subjects.order_by().values_list("village_id", flat=True)
    if connection.vendor != "postgresql":
        return villages.first()
    try:
        sql, params = villages.query.sql_with_params()
    except EmptyResultSet:  # (a role that edits nothing)
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} FOR KEY SHARE", params)
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def visits_follow_subjects(
    *, household_ids: Iterable[int] = (), entity_ids: Iterable[int] = ()
) -> int:
    """Copy the subjects' village onto their visits after a move (the visits of a grid or a
    branch are read by ``Visit.village``). Returns the number of visits moved."""
    moved = 0
    for field, model, ids in (
        ("household", Household, list(household_ids)),
        ("business_entity", BusinessEntity, list(entity_ids)),
    ):
        if not ids:
            continue
        village = model.objects.filter(pk=OuterRef(f"{field}_id")).values("village_id")[:1]
        moved += (
            Visit.objects.filter(**{f"{field}_id__in": ids})
            .exclude(village_id=Subquery(village))
            .update(village_id=Subquery(village))
        )
    return moved
