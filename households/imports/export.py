"""Exporting the archive list to .xlsx in the import template's layout (one row per person), so
an unmasked export can be corrected and imported again. Masked unless the user may reveal
personal data and asks for it; every export is audited."""

from __future__ import annotations

from decimal import Decimal
from typing import IO, Any

from django.db.models import Prefetch, QuerySet

from fuxiang import crypto
from fuxiang.accounts import roles
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError
from fuxiang.masking import mask_name
from households import services
from households.imports.columns import COLUMNS, Column
from households.models import Household, ImportKind, Member, Relation

# Households per file: written inside the request (≈ 1.8 s per 1,000 households), so a file
# stays within gunicorn's 120 s; larger areas are exported township by township.
EXPORT_LIMIT = 30_000


def _cell(
    household: Household, member: Member, column: Column, head_id: str, unmasked: bool
) -> Any:
    field = column.field
    if column.level == "household" and member.relation != Relation.HEAD:
        return ""  # household columns are filled on the head's row only
    if field == "household_key":
        return head_id
    if field == "name":
        return member.name if unmasked else mask_name(member.name)
    if field == "id_number":
        if unmasked:
            return crypto.decrypt(member.id_number_encrypted, column=services.ID_COLUMN)
        return member.id_number_masked
    if field == "phone":
        if not member.phone_encrypted:
            return ""
        if unmasked:
            return crypto.decrypt(member.phone_encrypted, column=services.PHONE_COLUMN)
        return member.phone_masked
    if field == "village_code":
        return household.village.code
    if field == "township_name":
        return household.village.township.name
    if field == "village_name":
        return household.village.name
    if field == "village_group_name":
        return household.village_group.name if household.village_group else ""
    source: Any = (
        member if hasattr(Member, field) and field not in Household.__dict__ else household
    )
    if member.relation != Relation.HEAD and source is household:
        return ""  # household columns are filled on the head's row only
    value = getattr(source, field)
    display = getattr(source, f"get_{field}_display", None)
    if display is not None:
        return str(display())
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return value
    return value


def export_rows(households: QuerySet[Household], *, unmasked: bool) -> Any:
    columns = COLUMNS[ImportKind.HOUSEHOLDS]
    members = Prefetch("members", queryset=Member.objects.order_by("relation", "id"))
    queryset = households.select_related("village__township", "village_group").prefetch_related(
        members
    )
    for household in queryset.iterator(chunk_size=1000):
        people = sorted(household.members.all(), key=lambda m: (m.relation != Relation.HEAD, m.pk))
        head = people[0] if people and people[0].relation == Relation.HEAD else None
        if head is None:
            continue
        head_id = (
            crypto.decrypt(head.id_number_encrypted, column=services.ID_COLUMN)
            if unmasked
            else head.id_number_masked
        )
        for member in people:
            yield [_cell(household, member, c, head_id, unmasked) for c in columns]


def households_export(
    *,
    actor: Any,
    households: QuerySet[Household],
    unmasked: bool,
    stream: IO[bytes],
    request: Any = None,
    filters: dict[str, Any] | None = None,
) -> int:
    """Write the (already scoped and filtered) households to ``stream``; returns rows written."""
    from households.imports.columns import write_rows

    if unmasked and not roles.can_reveal_personal_data(actor):
        raise DomainError("您的角色只能导出脱敏数据", code="forbidden")
    total = households.count()
    if total > EXPORT_LIMIT:
        raise DomainError(f"一次最多导出{EXPORT_LIMIT}户，请按乡镇或村筛选后导出")
    written = write_rows(
        ImportKind.HOUSEHOLDS,
        export_rows(households.order_by("village__code", "pk"), unmasked=unmasked),
        stream,
    )
    audit_record(
        action=AuditAction.EXPORT,
        actor=actor,
        request=request,
        target_label=f"农户档案 {total}户 {written}人",
        details={"households": total, "rows": written, "unmasked": unmasked, **(filters or {})},
    )
    return written
