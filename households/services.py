"""Every write to the archives. Each service checks the actor's scope, validates with the rules
of DESIGN.md §4.3, saves all or nothing, and appends an audit event.

Services take already-parsed values (forms, serializers and imports do the parsing) and raise
``DomainError`` with Chinese messages keyed by field name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from fuxiang import crypto
from fuxiang.accounts import roles
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, NotFound
from fuxiang.masking import mask_name, mask_phone, mask_resident_id
from households.identity import (
    COOPERATIVE_PREFIX,
    IdentityError,
    normalise_uscc,
    parse_resident_id,
    validate_mobile,
    validate_uscc,
)
from households.models import (
    ENTITY_KIND_CATEGORY,
    BusinessEntity,
    EntityKind,
    Household,
    Member,
    Relation,
    Village,
    VillageGroup,
    Visit,
    WatchlistEntry,
)
from households.selectors import (
    business_entities_editable_by,
    business_entities_visible_to,
    households_editable_by,
    members_visible_to,
    villages_editable_by,
)

ID_COLUMN = "member.id_number"
PHONE_COLUMN = "member.phone"
LEGAL_REP_ID_COLUMN = "business_entity.legal_rep_id"
WATCHLIST_ENTRY_ID_COLUMN = "watchlist_entry.id_number"

HOUSEHOLD_FIELDS = (
    "village_group",
    "address",
    "status",
    "house_ownership",
    "house_value",
    "land_contracted_mu",
    "livestock_heads",
    "livestock_value",
    "vehicles_value",
    "deposits",
    "other_assets",
    "avg_daily_deposit_here",
    "loans_this_bank",
    "loans_other_banks",
    "private_loans",
    "other_lenders_count",
    "income_crops",
    "income_livestock",
    "income_business",
    "income_wages",
    "income_other",
    "annual_costs",
    "overdue_count_24m",
    "has_outstanding_overdue",
    "has_bad_loan",
    "is_dishonest_debtor",
    "has_criminal_record",
    "has_drug_gambling_flag",
    "committee_assessment",
    "honours_count",
    "public_record_deductions",
    "rating_consent",
)
MEMBER_FIELDS = (
    "relation",
    "name",
    "health",
    "education",
    "occupation",
    "labour_ability",
    "is_public_employee",
    "is_dibao",
    "is_poverty_alleviated",
)
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
    "total_assets",
    "total_liabilities",
    "current_liabilities",
    "employees",
    "land_mu",
    "cooperative_members",
    "tax_compliant",
)
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

# Internal columns whose validation errors belong to the field the user typed.
_FIELD_ALIASES = {
    "id_number_index": "id_number",
    "id_number_encrypted": "id_number",
    "phone_index": "phone",
    "legal_rep_id_index": "legal_rep_id_number",
}


# --- helpers ----------------------------------------------------------------------------------


def _full_clean(instance: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """``full_clean`` with Django's errors turned into a ``DomainError`` keyed by form field."""
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for field, messages in exc.message_dict.items():
            key = "__all__" if field == NON_FIELD_ERRORS else _FIELD_ALIASES.get(field, field)
            errors.setdefault(key, []).extend(messages)
        raise DomainError(errors) from exc


def _assign(instance: models.Model, values: Mapping[str, Any], allowed: Iterable[str]) -> list[str]:
    """Copy allowed values onto the instance; return the names that changed."""
    changed = []
    for field in allowed:
        try:
            current = getattr(instance, field)
        except ObjectDoesNotExist:  # a required relation not set yet on a new row
            current = None
        if field in values and current != values[field]:
            setattr(instance, field, values[field])
            changed.append(field)
    return changed


@dataclass(frozen=True)
class ProtectedId:
    """A resident ID number, checked and ready for storage: never the plaintext alone."""

    encrypted: str
    index: str
    masked: str
    birth_date: date
    sex: str


def resident_id_index(id_number: str) -> str:
    """The blind index under which an ID number is stored (for lookups by ID)."""
    return crypto.blind_index(id_number.strip().upper(), kind="resident_id")


def phone_index(phone: str) -> str:
    return crypto.blind_index(phone, kind="phone")


def protect_resident_id(
    value: str, *, field: str, label: str, column: str, as_of: date
) -> ProtectedId:
    try:
        parsed = parse_resident_id(value, as_of=as_of)
    except IdentityError as exc:
        raise DomainError({field: f"{label}{exc}"}) from exc
    return ProtectedId(
        encrypted=crypto.encrypt(parsed.number, column=column),
        index=resident_id_index(parsed.number),
        masked=mask_resident_id(parsed.number),
        birth_date=parsed.birth_date,
        sex=parsed.sex,
    )


def _set_phone(member: Member, phone: str) -> None:
    if not phone:
        member.phone_encrypted = member.phone_index = member.phone_masked = ""
        return
    try:
        number = validate_mobile(phone)
    except IdentityError as exc:
        raise DomainError({"phone": f"手机号码{exc}"}) from exc
    member.phone_encrypted = crypto.encrypt(number, column=PHONE_COLUMN)
    member.phone_index = phone_index(number)
    member.phone_masked = mask_phone(number)


def _set_member_id(member: Member, id_number: str) -> None:
    protected = protect_resident_id(
        id_number,
        field="id_number",
        label="身份证号码",
        column=ID_COLUMN,
        as_of=timezone.localdate(),
    )
    duplicate = Member.objects.filter(id_number_index=protected.index)
    if member.pk:
        duplicate = duplicate.exclude(pk=member.pk)
    if duplicate.exists():
        raise DomainError(
            {"id_number": "身份证号码已登记在另一位成员名下，同一身份证号只能建档一次"},
            code="duplicate",
        )
    member.id_number_encrypted = protected.encrypted
    member.id_number_index = protected.index
    member.id_number_masked = protected.masked
    member.birth_date = protected.birth_date
    member.sex = protected.sex


def _save_member(member: Member) -> None:
    _full_clean(member)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:  # lost a race with another insert of the same ID
        raise DomainError(
            {"id_number": "身份证号码已登记在另一位成员名下，同一身份证号只能建档一次"},
            code="duplicate",
        ) from exc


def _check_village_group(village: Village, group: VillageGroup | None) -> None:
    if group is not None and group.village_id != village.pk:
        raise DomainError({"village_group": "村民小组不属于所选的村"})


def _check_editable_village(actor: Any, village: Village, field: str = "village") -> None:
    if not villages_editable_by(actor).filter(pk=village.pk).exists():
        raise DomainError({field: "只能在您负责的网格内的村建档"}, code="forbidden")


def _household_label(household: Household) -> str:
    head = household.members.filter(relation=Relation.HEAD).only("name").first()
    return f"{household.village.name} {mask_name(head.name) if head else ''}户"


# --- households and members -------------------------------------------------------------------


@transaction.atomic
def household_create(
    *,
    actor: Any,
    village: Village,
    head: Mapping[str, Any],
    fields: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> Household:
    """Create a household with its head in one step (a household never exists headless)."""
    _check_editable_village(actor, village)
    household = Household(village=village, created_by=actor)
    _assign(household, fields, HOUSEHOLD_FIELDS)
    _check_village_group(village, household.village_group)
    if household.rating_consent:
        household.consent_recorded_at = timezone.now()
    _full_clean(household)
    household.save()
    _create_member_in(household, {**head, "relation": Relation.HEAD})
    audit_record(
        action=AuditAction.HOUSEHOLD_CREATE,
        actor=actor,
        target=household,
        target_label=_household_label(household),
        request=request,
    )
    return household


@transaction.atomic
def household_update(
    *,
    actor: Any,
    household: Household,
    fields: Mapping[str, Any],
    village: Village | None = None,
    request: HttpRequest | None = None,
) -> Household:
    """Change a household's archive; moving it to another village needs that village in scope."""
    household = _lock_editable_household(actor, household.pk)
    had_consent = household.rating_consent
    changed = _assign(household, fields, HOUSEHOLD_FIELDS)
    if village is not None and village.pk != household.village_id:
        _check_editable_village(actor, village)
        household.village = village
        changed.append("village")
    _check_village_group(household.village, household.village_group)
    if household.rating_consent and not had_consent:
        household.consent_recorded_at = timezone.now()
        changed.append("consent_recorded_at")
    if not changed:
        return household
    _full_clean(household)
    household.save(update_fields=[*changed, "updated_at"])
    audit_record(
        action=AuditAction.HOUSEHOLD_UPDATE,
        actor=actor,
        target=household,
        target_label=_household_label(household),
        request=request,
        details={"fields": sorted(changed)},
    )
    return household


def _lock_editable_household(actor: Any, household_id: int) -> Household:
    try:
        return (
            households_editable_by(actor)
            .select_for_update(of=("self",))
            .select_related("village")
            .get(pk=household_id)
        )
    except Household.DoesNotExist as exc:
        raise NotFound() from exc


def _create_member_in(household: Household, values: Mapping[str, Any]) -> Member:
    member = Member(household=household)
    _assign(member, values, MEMBER_FIELDS)
    if not values.get("id_number"):
        raise DomainError({"id_number": "身份证号码为必填项"})
    if (
        member.relation == Relation.HEAD
        and household.members.filter(relation=Relation.HEAD).exists()
    ):
        raise DomainError({"relation": "该户已有户主，每户只能有一位户主"})
    _set_member_id(member, values["id_number"])
    _set_phone(member, values.get("phone") or "")
    _save_member(member)
    return member


@transaction.atomic
def member_create(
    *,
    actor: Any,
    household: Household,
    fields: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> Member:
    """Add a person to a household the actor may edit; their ID must not be archived yet."""
    household = _lock_editable_household(actor, household.pk)
    member = _create_member_in(household, fields)
    audit_record(
        action=AuditAction.MEMBER_CREATE,
        actor=actor,
        target=member,
        target_label=f"{member.masked_name} {member.id_number_masked}",
        request=request,
    )
    return member


@transaction.atomic
def member_update(
    *,
    actor: Any,
    member: Member,
    fields: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> Member:
    """Change a member. ``id_number``/``phone`` change only when given (blank keeps them);
    ``clear_phone=True`` removes the phone number."""
    household = _lock_editable_household(actor, member.household_id)
    member = Member.objects.select_for_update().get(pk=member.pk, household=household)
    changed = _assign(member, fields, MEMBER_FIELDS)
    if "relation" in changed:
        other_head = household.members.filter(relation=Relation.HEAD).exclude(pk=member.pk)
        if member.relation == Relation.HEAD and other_head.exists():
            raise DomainError({"relation": "该户已有户主，每户只能有一位户主"})
        if member.relation != Relation.HEAD and not other_head.exists():
            raise DomainError({"relation": "户主不能改为其他关系，请先指定新的户主"})
    if fields.get("id_number"):
        old_index = member.id_number_index
        _set_member_id(member, fields["id_number"])
        if member.id_number_index != old_index:
            changed += ["id_number"]
    if fields.get("phone") or fields.get("clear_phone"):
        old_phone = member.phone_index
        _set_phone(member, "" if fields.get("clear_phone") else fields["phone"])
        if member.phone_index != old_phone:
            changed += ["phone"]
    if not changed:
        return member
    _save_member(member)
    audit_record(
        action=AuditAction.MEMBER_UPDATE,
        actor=actor,
        target=member,
        target_label=f"{member.masked_name} {member.id_number_masked}",
        request=request,
        details={"fields": sorted(changed)},
    )
    return member


# --- reveal -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RevealedPerson:
    name: str
    id_number: str
    phone: str


def member_reveal(
    *, actor: Any, member_id: int, request: HttpRequest | None = None
) -> RevealedPerson:
    """Decrypt one member's name, ID and phone for a permitted user, and audit that they did."""
    if not roles.can_reveal_personal_data(actor):
        raise DomainError("您的角色无权查看完整个人信息", code="forbidden")
    try:
        member = members_visible_to(actor).get(pk=member_id)
    except Member.DoesNotExist as exc:
        raise NotFound() from exc
    revealed = RevealedPerson(
        name=member.name,
        id_number=crypto.decrypt(member.id_number_encrypted, column=ID_COLUMN),
        phone=(
            crypto.decrypt(member.phone_encrypted, column=PHONE_COLUMN)
            if member.phone_encrypted
            else ""
        ),
    )
    audit_record(
        action=AuditAction.REVEAL,
        actor=actor,
        target=member,
        target_label=f"{member.masked_name} {member.id_number_masked}",
        request=request,
        details={"fields": ["name", "id_number", "phone"]},
    )
    return revealed


def legal_rep_reveal(
    *, actor: Any, entity_id: int, request: HttpRequest | None = None
) -> RevealedPerson:
    if not roles.can_reveal_personal_data(actor):
        raise DomainError("您的角色无权查看完整个人信息", code="forbidden")
    try:
        entity = business_entities_visible_to(actor).get(pk=entity_id)
    except BusinessEntity.DoesNotExist as exc:
        raise NotFound() from exc
    revealed = RevealedPerson(
        name=entity.legal_rep_name,
        id_number=crypto.decrypt(entity.legal_rep_id_encrypted, column=LEGAL_REP_ID_COLUMN),
        phone="",
    )
    audit_record(
        action=AuditAction.REVEAL,
        actor=actor,
        target=entity,
        target_label=f"{entity.name} {mask_name(entity.legal_rep_name)}",
        request=request,
        details={"fields": ["legal_rep_name", "legal_rep_id_number"]},
    )
    return revealed


# --- business entities ------------------------------------------------------------------------


def _prepare_entity(entity: BusinessEntity, values: Mapping[str, Any]) -> list[str]:
    if "uscc" in values:  # "" and None both mean "no code"; compare normalised values
        values = {**values, "uscc": normalise_uscc(values["uscc"] or "") or None}
    changed = _assign(entity, values, ENTITY_FIELDS)
    entity.category = ENTITY_KIND_CATEGORY[EntityKind(entity.kind)]
    if entity.uscc:
        try:
            entity.uscc = validate_uscc(entity.uscc)
        except IdentityError as exc:
            raise DomainError({"uscc": f"统一社会信用代码{exc}"}) from exc
        if entity.kind == EntityKind.COOPERATIVE and not entity.uscc.startswith(COOPERATIVE_PREFIX):
            raise DomainError({"uscc": "农民专业合作社的统一社会信用代码应以93开头"})
        taken = BusinessEntity.objects.filter(uscc=entity.uscc).exclude(pk=entity.pk)
        if taken.exists():
            raise DomainError({"uscc": "该统一社会信用代码已建档，一个代码只能对应一个主体"})
    else:
        entity.uscc = None
        if entity.kind != EntityKind.LARGE_GROWER:
            raise DomainError({"uscc": "统一社会信用代码为必填项（仅种养大户可不填）"})
    if values.get("legal_rep_id_number"):
        protected = protect_resident_id(
            values["legal_rep_id_number"],
            field="legal_rep_id_number",
            label="法定代表人身份证号码",
            column=LEGAL_REP_ID_COLUMN,
            as_of=timezone.localdate(),
        )
        if protected.index != entity.legal_rep_id_index:
            changed.append("legal_rep_id_number")
        entity.legal_rep_id_encrypted = protected.encrypted
        entity.legal_rep_id_index = protected.index
        entity.legal_rep_id_masked = protected.masked
    elif not entity.legal_rep_id_index:
        raise DomainError({"legal_rep_id_number": "法定代表人身份证号码为必填项"})
    if entity.current_liabilities > entity.total_liabilities:
        raise DomainError({"current_liabilities": "流动负债不能大于负债总额"})
    return changed


_ENTITY_COLUMNS = {
    "kind": "kind category",
    "legal_rep_id_number": "legal_rep_id_encrypted legal_rep_id_index legal_rep_id_masked",
}


def _set_owners(actor: Any, entity: BusinessEntity, owners: Iterable[Household] | None) -> bool:
    if owners is None:
        return False
    owner_ids = {h.pk for h in owners}
    allowed = set(
        households_editable_by(actor).filter(pk__in=owner_ids).values_list("pk", flat=True)
    )
    if owner_ids - allowed:
        raise DomainError({"owner_households": "只能关联您负责网格内的农户"}, code="forbidden")
    before = set(entity.owner_households.values_list("pk", flat=True))
    entity.owner_households.set(owner_ids)
    return before != owner_ids


@transaction.atomic
def business_entity_create(
    *,
    actor: Any,
    fields: Mapping[str, Any],
    owner_households: Iterable[Household] = (),
    request: HttpRequest | None = None,
) -> BusinessEntity:
    """Archive a small business or agricultural entity in a village the actor may edit."""
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
    audit_record(
        action=action, actor=actor, target=entity, target_label=entity.name, request=request
    )
    return entity


@transaction.atomic
def business_entity_update(
    *,
    actor: Any,
    entity: BusinessEntity,
    fields: Mapping[str, Any],
    owner_households: Iterable[Household] | None = None,
    request: HttpRequest | None = None,
) -> BusinessEntity:
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
            request=request,
            details={"fields": sorted(changed)},
        )
    return entity


# --- visits -----------------------------------------------------------------------------------


@transaction.atomic
def visit_create(
    *,
    actor: Any,
    fields: Mapping[str, Any],
    household: Household | None = None,
    business_entity: BusinessEntity | None = None,
    request: HttpRequest | None = None,
) -> Visit:
    """Record an officer's visit to a household or business entity of their grids."""
    if not roles.can_record_visit(actor):
        raise DomainError("只有客户经理可以登记走访", code="forbidden")
    if (household is None) == (business_entity is None):
        raise DomainError("走访对象应为一户农户或一个经营主体")
    if household is not None and not households_editable_by(actor).filter(pk=household.pk).exists():
        raise NotFound()
    if (
        business_entity is not None
        and not business_entities_editable_by(actor).filter(pk=business_entity.pk).exists()
    ):
        raise NotFound()
    visit = Visit(officer=actor, household=household, business_entity=business_entity)
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
        request=request,
    )
    return visit


# --- key rotation -----------------------------------------------------------------------------

_ENCRYPTED_COLUMNS: tuple[tuple[type[models.Model], str, str], ...] = (
    (Member, "id_number_encrypted", ID_COLUMN),
    (Member, "phone_encrypted", PHONE_COLUMN),
    (BusinessEntity, "legal_rep_id_encrypted", LEGAL_REP_ID_COLUMN),
    (WatchlistEntry, "id_number_encrypted", WATCHLIST_ENTRY_ID_COLUMN),
)


def personal_data_rotate_batch(*, after: dict[str, int], limit: int = 2000) -> tuple[int, int]:
    """Re-encrypt up to ``limit`` stored values per column that were written with a key other
    than the active one. ``after`` holds, per column, the last primary key already visited and
    is advanced in place. Returns (rows visited, values re-encrypted); (0, 0) means done.

    Idempotent: a value already under the active key is left alone, so a crashed run can
    simply start again."""
    active = crypto.keyring().active_id
    visited = rotated = 0
    for model, field, column in _ENCRYPTED_COLUMNS:
        key = f"{model._meta.label_lower}.{field}"
        with transaction.atomic():
            rows = list(
                model._default_manager.select_for_update()
                .filter(pk__gt=after.get(key, 0))
                .order_by("pk")
                .values_list("pk", field)[:limit]
            )
            changed = []
            for pk, stored in rows:
                if stored and crypto.key_id_of(stored) != active:
                    plain = crypto.decrypt(stored, column=column)
                    changed.append(model(pk=pk, **{field: crypto.encrypt(plain, column=column)}))
            model._default_manager.bulk_update(changed, [field], batch_size=limit)
        if rows:
            after[key] = rows[-1][0]
        visited += len(rows)
        rotated += len(changed)
    return visited, rotated


def personal_data_rotate_keys(*, actor: Any = None, progress: Any = None, limit: int = 2000) -> int:
    """Re-encrypt every stored ID and phone number with the active key; returns how many
    values changed. ``progress(visited_so_far)`` is called after each batch."""
    after: dict[str, int] = {}
    total_visited = total_rotated = 0
    while True:
        visited, rotated = personal_data_rotate_batch(after=after, limit=limit)
        if not visited:
            break
        total_visited += visited
        total_rotated += rotated
        if progress:
            progress(total_visited)
    audit_record(
        action=AuditAction.KEY_ROTATION,
        actor=actor,
        details={"active_key": crypto.keyring().active_id, "re_encrypted": total_rotated},
    )
    return total_rotated
