"""Business entities (small businesses and agricultural entities): create and update."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from fuxiang.accounts.models import User
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, NotFound, PermissionDenied
from households.identity import COOPERATIVE_PREFIX, IdentityError, normalise_uscc, validate_uscc
from households.models import ENTITY_KIND_CATEGORY, BusinessEntity, EntityKind, Household
from households.selectors import business_entities_editable_by, households_editable_by
from households.services._common import (
    _assign,
    _check_editable_village,
    _clean_person_name,
    _full_clean,
)
from households.services.personal_data import LEGAL_REP_ID_COLUMN, protect_resident_id
from households.services.visits import visits_follow_subjects
from households.signals import archives_changed_on_commit

ENTITY_FIELDS = (
    "kind",
    "name",
    "uscc",
    "legal_rep_name",
    "village",
    "production_address",
    "industry",
    "years_operating",
    "annual_revenue",
    "annual_costs",
    "total_assets",
    "total_liabilities",
    "current_liabilities",
    "employees",
    "land_mu",
    "cooperative_members",
    "tax_compliant",
    "overdue_count_24m",
    "has_outstanding_overdue",
    "has_bad_loan",
)


def _prepare_entity(entity: BusinessEntity, values: Mapping[str, Any]) -> list[str]:
    """Copy and check the values; every problem found is reported at once (an import row
    lists them all), as one ``DomainError``."""
    if "uscc" in values:  # "" and None both mean "no code"; compare normalised values
        values = {**values, "uscc": normalise_uscc(values["uscc"] or "") or None}
    changed = _assign(entity, values, ENTITY_FIELDS)
    errors: dict[str, str] = {}
    entity.category = ENTITY_KIND_CATEGORY[EntityKind(entity.kind)]
    if entity.uscc:
        try:
            entity.uscc = validate_uscc(entity.uscc)
        except IdentityError as exc:
            errors["uscc"] = f"统一社会信用代码{exc}"
        else:
            taken = BusinessEntity.objects.filter(uscc=entity.uscc).exclude(pk=entity.pk)
            if entity.kind == EntityKind.COOPERATIVE and not entity.uscc.startswith(
                COOPERATIVE_PREFIX
            ):
                errors["uscc"] = "农民专业合作社的统一社会信用代码应以93开头"
            elif taken.exists():
                errors["uscc"] = "该统一社会信用代码已建档，一个代码只能对应一个主体"
    else:
        entity.uscc = None
        if entity.kind != EntityKind.LARGE_GROWER:
            errors["uscc"] = "统一社会信用代码为必填项（仅种养大户可不填）"
    if values.get("legal_rep_id_number"):
        try:
            protected = protect_resident_id(
                values["legal_rep_id_number"],
                field="legal_rep_id_number",
                label="法定代表人身份证号码",
                column=LEGAL_REP_ID_COLUMN,
                as_of=timezone.localdate(),
            )
        except DomainError as error:
            errors.update({k: v[0] for k, v in error.errors.items()})
        else:
            if protected.index != entity.legal_rep_id_index:
                changed.append("legal_rep_id_number")
            entity.legal_rep_id_encrypted = protected.encrypted
            entity.legal_rep_id_index = protected.index
            entity.legal_rep_id_masked = protected.masked
    elif not entity.legal_rep_id_index:
        errors["legal_rep_id_number"] = "法定代表人身份证号码为必填项"
    name_error = _clean_person_name(
        entity, "legal_rep_name", "法定代表人/经营者姓名", id_masked=entity.legal_rep_id_masked
    )
    if name_error:
        errors["legal_rep_name"] = name_error
    if entity.current_liabilities > entity.total_liabilities:
        errors["current_liabilities"] = "流动负债不能大于负债总额"
    if errors:
        # with the model's own checks (lengths, ranges), so the row hears of everything
        exclude = ["legal_rep_id_encrypted", "legal_rep_id_index", "legal_rep_id_masked", *errors]
        try:
            _full_clean(entity, exclude=exclude)
        except DomainError as more:
            raise DomainError({**more.errors, **errors}) from None
        raise DomainError(errors)
    return changed


_ENTITY_COLUMNS = {
    "kind": "kind category",
    "legal_rep_id_number": "legal_rep_id_encrypted legal_rep_id_index legal_rep_id_masked",
}


def _set_owners(
    actor: User | None, entity: BusinessEntity, owners: Iterable[Household] | None
) -> bool:
    if owners is None:
        return False
    owner_ids = {h.pk for h in owners}
    allowed = set(
        households_editable_by(actor).filter(pk__in=owner_ids).values_list("pk", flat=True)
    )
    if owner_ids - allowed:
        raise PermissionDenied({"owner_households": "只能关联您负责网格内的农户"})
    before = set(entity.owner_households.values_list("pk", flat=True))
    # Links to households outside the actor's grids are not theirs to remove.
    editable = set(households_editable_by(actor).filter(pk__in=before).values_list("pk", flat=True))
    wanted = owner_ids | (before - editable)
    entity.owner_households.set(wanted)
    if before != wanted:
        entity.save(update_fields=["updated_at"])
    return before != wanted


@transaction.atomic
def business_entity_create(
    *,
    actor: User | None,
    fields: Mapping[str, Any],
    owner_households: Iterable[Household] = (),
    audit: AuditContext | None = None,
    announce: bool = True,
) -> BusinessEntity:
    """Archive a small business or agricultural entity in a village the actor may edit.
    Announced with ``archives_changed`` (so it is rated) unless ``announce=False`` (an import
    announces all its entities at once)."""
    if "village" not in fields or fields["village"] is None:
        raise DomainError({"village": "请选择生产经营地所在村"})
    _check_editable_village(actor, fields["village"])
    entity = BusinessEntity(created_by=actor)
    _prepare_entity(entity, fields)
    _full_clean(entity, exclude=["legal_rep_id_encrypted", "legal_rep_id_index"])
    try:
        with transaction.atomic():
            entity.save()
    except IntegrityError as exc:
        raise DomainError({"uscc": "该统一社会信用代码已建档，一个代码只能对应一个主体"}) from exc
    _set_owners(actor, entity, owner_households)
    action = (
        AuditAction.ENTERPRISE_CREATE
        if entity.category == "enterprise"
        else AuditAction.ENTITY_CREATE
    )
    audit_record(action=action, actor=actor, target=entity, target_label=entity.name, audit=audit)
    if announce:
        archives_changed_on_commit((), entity_ids=[entity.pk], reason="entity_create")
    return entity


@transaction.atomic
def business_entity_update(
    *,
    actor: User | None,
    entity: BusinessEntity,
    fields: Mapping[str, Any],
    owner_households: Iterable[Household] | None = None,
    audit: AuditContext | None = None,
    announce: bool = True,
) -> BusinessEntity:
    """Change an entity the actor may edit; a change (owner links included) is announced with
    ``archives_changed`` so the entity is re-rated, unless ``announce=False``."""
    try:
        entity = (
            business_entities_editable_by(actor).select_for_update(of=("self",)).get(pk=entity.pk)
        )
    except BusinessEntity.DoesNotExist as exc:
        raise NotFound() from exc
    old_village = entity.village_id
    changed = _prepare_entity(entity, fields)
    if entity.village_id != old_village:
        _check_editable_village(actor, entity.village)
    if changed:
        _full_clean(entity, exclude=["legal_rep_id_encrypted", "legal_rep_id_index"])
        stored = [_ENTITY_COLUMNS.get(name, name) for name in changed]
        entity.save(update_fields=sorted({*(c for f in stored for c in f.split()), "updated_at"}))
        if entity.village_id != old_village:
            visits_follow_subjects(entity_ids=[entity.pk])
    if _set_owners(actor, entity, owner_households):
        changed.append("owner_households")
    if changed:
        action = (
            AuditAction.ENTERPRISE_UPDATE
            if entity.category == "enterprise"
            else AuditAction.ENTITY_UPDATE
        )
        audit_record(
            action=action,
            actor=actor,
            target=entity,
            target_label=entity.name,
            audit=audit,
            details={"fields": sorted(changed)},
        )
        if announce:
            archives_changed_on_commit((), entity_ids=[entity.pk], reason="entity_update")
    return entity
