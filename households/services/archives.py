"""Households and their members: create and update, with IDs and phones stored protected."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from fuxiang import crypto
from fuxiang.accounts.models import User
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, NotFound
from fuxiang.masking import mask_name, mask_phone
from households.identity import IdentityError, validate_mobile
from households.models import Household, Member, Relation, Village, VillageGroup
from households.selectors import households_editable_by
from households.services._common import (
    _assign,
    _check_editable_village,
    _clean_person_name,
    _full_clean,
)
from households.services.personal_data import (
    ID_COLUMN,
    PHONE_COLUMN,
    DuplicateResidentId,
    duplicate_refusals_record,
    phone_index,
    protect_resident_id,
)
from households.services.visits import visits_follow_subjects
from households.signals import archives_changed_on_commit

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
    "subsistence_allowance",
    "is_poverty_alleviated",
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
    holder = duplicate.values_list("household_id", flat=True).first()
    if holder is not None:
        raise DuplicateResidentId(masked_id=protected.masked, household_id=holder)
    member.id_number_encrypted = protected.encrypted
    member.id_number_index = protected.index
    member.id_number_masked = protected.masked
    member.birth_date = protected.birth_date
    member.sex = protected.sex


def _check_member_name(member: Member) -> None:
    refusal = _clean_person_name(member, "name", "姓名", id_masked=member.id_number_masked)
    if refusal:
        raise DomainError({"name": refusal})


def _save_member(member: Member) -> None:
    _full_clean(member)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:  # lost a race with another insert of the same ID
        holder = (
            Member.objects.filter(id_number_index=member.id_number_index)
            .values_list("household_id", flat=True)
            .first()
        )
        raise DuplicateResidentId(masked_id=member.id_number_masked, household_id=holder) from exc


def _check_village_group(village: Village, group: VillageGroup | None) -> None:
    if group is not None and group.village_id != village.pk:
        raise DomainError({"village_group": "村民小组不属于所选的村"})


def _audit_refusal(
    actor: User | None, refusal: DuplicateResidentId, audit: AuditContext | None, **where: Any
) -> None:
    """Audit a refused duplicate ID once the service's transaction has rolled back (inside it,
    the event would be rolled back too)."""
    duplicate_refusals_record(actor=actor, refusals=[refusal.refusal(actor, **where)], audit=audit)


def _household_label(household: Household) -> str:
    head = household.members.filter(relation=Relation.HEAD).only("name").first()
    return f"{household.village.name} {mask_name(head.name) if head else ''}户"


# --- households and members -------------------------------------------------------------------


def household_create(
    *,
    actor: User | None,
    village: Village,
    head: Mapping[str, Any],
    fields: Mapping[str, Any],
    audit: AuditContext | None = None,
) -> Household:
    """Create a household with its head in one step (a household never exists headless). A
    head whose ID is archived already is refused, and the refusal audited."""
    try:
        return _household_create(
            actor=actor, village=village, head=head, fields=fields, audit=audit
        )
    except DuplicateResidentId as refusal:
        _audit_refusal(actor, refusal, audit, via="household_create", village=village.pk)
        raise


@transaction.atomic
def _household_create(
    *,
    actor: User | None,
    village: Village,
    head: Mapping[str, Any],
    fields: Mapping[str, Any],
    audit: AuditContext | None,
) -> Household:
    _check_editable_village(actor, village)
    household = Household(village=village, created_by=actor)
    _assign(household, fields, HOUSEHOLD_FIELDS)
    _check_village_group(village, household.village_group)
    if household.rating_consent:
        household.consent_recorded_at = timezone.now()
    _full_clean(household)
    household.save()
    _create_member_in(household, {**head, "relation": Relation.HEAD})
    archives_changed_on_commit([household.pk], reason="household_create")
    audit_record(
        action=AuditAction.HOUSEHOLD_CREATE,
        actor=actor,
        target=household,
        target_label=_household_label(household),
        audit=audit,
    )
    return household


@transaction.atomic
def household_update(
    *,
    actor: User | None,
    household: Household,
    fields: Mapping[str, Any],
    village: Village | None = None,
    audit: AuditContext | None = None,
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
    if "village" in changed:
        members_follow_households([household.pk])
        visits_follow_subjects(household_ids=[household.pk])
    archives_changed_on_commit([household.pk], reason="household_update")
    audit_record(
        action=AuditAction.HOUSEHOLD_UPDATE,
        actor=actor,
        target=household,
        target_label=_household_label(household),
        audit=audit,
        details={"fields": sorted(changed)},
    )
    return household


def members_follow_households(household_ids: list[int]) -> int:
    """Copy the households' village onto their members after a move (``Member.village``, read
    by a scope's name search). On PostgreSQL the members' foreign key (household, village)
    has already carried them along (ON UPDATE CASCADE): nothing is left to write. Returns the
    number of members moved."""
    if not household_ids:
        return 0
    village = Household.objects.filter(pk=OuterRef("household_id")).values("village_id")[:1]
    return (
        Member.objects.filter(household_id__in=household_ids)
        .exclude(village_id=Subquery(village))
        .update(village_id=Subquery(village))
    )


def _lock_editable_household(actor: User | None, household_id: int) -> Household:
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
    member = Member(household=household, village_id=household.village_id)
    _assign(member, values, MEMBER_FIELDS)
    if not values.get("id_number"):
        raise DomainError({"id_number": "身份证号码为必填项"})
    if (
        member.relation == Relation.HEAD
        and household.members.filter(relation=Relation.HEAD).exists()
    ):
        raise DomainError({"relation": "该户已有户主，每户只能有一位户主"})
    _set_member_id(member, values["id_number"])
    _check_member_name(member)
    _set_phone(member, values.get("phone") or "")
    _save_member(member)
    return member


def member_create(
    *,
    actor: User | None,
    household: Household,
    fields: Mapping[str, Any],
    audit: AuditContext | None = None,
) -> Member:
    """Add a person to a household the actor may edit; their ID must not be archived yet (a
    refusal is audited: it tells the actor the ID is archived somewhere)."""
    try:
        return _member_create(actor=actor, household=household, fields=fields, audit=audit)
    except DuplicateResidentId as refusal:
        _audit_refusal(actor, refusal, audit, via="member_create", household=household.pk)
        raise


@transaction.atomic
def _member_create(
    *,
    actor: User | None,
    household: Household,
    fields: Mapping[str, Any],
    audit: AuditContext | None,
) -> Member:
    household = _lock_editable_household(actor, household.pk)
    member = _create_member_in(household, fields)
    archives_changed_on_commit([household.pk], reason="member_create")
    audit_record(
        action=AuditAction.MEMBER_CREATE,
        actor=actor,
        target=member,
        target_label=f"{member.masked_name} {member.id_number_masked}",
        audit=audit,
    )
    return member


def member_update(
    *,
    actor: User | None,
    member: Member,
    fields: Mapping[str, Any],
    audit: AuditContext | None = None,
) -> Member:
    """Change a member. ``id_number``/``phone`` change only when given (blank keeps them);
    ``clear_phone=True`` removes the phone number. An ID archived for someone else is refused,
    and the refusal audited."""
    try:
        return _member_update(actor=actor, member=member, fields=fields, audit=audit)
    except DuplicateResidentId as refusal:
        _audit_refusal(
            actor, refusal, audit, via="member_update", household=member.household_id,
            member=member.pk,
        )  # fmt: skip
        raise


@transaction.atomic
def _member_update(
    *,
    actor: User | None,
    member: Member,
    fields: Mapping[str, Any],
    audit: AuditContext | None,
) -> Member:
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
    if "name" in changed or "id_number" in changed:
        _check_member_name(member)
    if fields.get("phone") or fields.get("clear_phone"):
        old_phone = member.phone_index
        _set_phone(member, "" if fields.get("clear_phone") else fields["phone"])
        if member.phone_index != old_phone:
            changed += ["phone"]
    if not changed:
        return member
    _save_member(member)
    archives_changed_on_commit([household.pk], reason="member_update")
    audit_record(
        action=AuditAction.MEMBER_UPDATE,
        actor=actor,
        target=member,
        target_label=f"{member.masked_name} {member.id_number_masked}",
        audit=audit,
        details={"fields": sorted(changed)},
    )
    return member
