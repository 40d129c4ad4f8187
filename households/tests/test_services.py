"""Archive services: scope, validation, nothing half-saved, encryption at rest, audit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from fuxiang import crypto
from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.errors import DomainError, NotFound
from households import services
from households.identity import make_resident_id
from households.models import BusinessEntity, Household, Member, Relation
from households.tests.factories import (
    BusinessEntityFactory,
    HouseholdFactory,
    MemberFactory,
    next_resident_id,
    next_uscc,
)

pytestmark = pytest.mark.django_db


def head(**overrides):
    values = {
        "name": "张建国",
        "id_number": next_resident_id(),
        "phone": "13812345678",
        "health": "good",
        "education": "junior",
        "labour_ability": "full",
    }
    return {**values, **overrides}


def test_officer_creates_household_with_head_and_everything_is_audited(org):
    household = services.household_create(
        actor=org.officer_a,
        village=org.village_a,
        head=head(),
        fields={"income_crops": Decimal("50000"), "rating_consent": True},
    )
    member = household.members.get()
    assert member.relation == Relation.HEAD
    assert member.id_number_masked.startswith("430")
    assert "*" in member.id_number_masked
    assert member.phone_masked == "138****5678"
    assert household.consent_recorded_at is not None
    event = AuditEvent.objects.get(action=AuditAction.HOUSEHOLD_CREATE)
    assert event.actor == org.officer_a
    assert event.target_id == str(household.pk)
    assert "张建国" not in event.target_label  # the log shows masked names only


def test_birth_date_and_sex_come_from_the_id_number(org):
    id_number = make_resident_id("430223", timezone.localdate().replace(year=1975), 13)
    household = services.household_create(
        actor=org.officer_a, village=org.village_a, head=head(id_number=id_number), fields={}
    )
    member = household.members.get()
    assert member.birth_date.year == 1975
    assert member.sex == "M"


def test_no_plaintext_id_or_phone_is_stored_anywhere_in_the_row(org):
    id_number = next_resident_id()
    services.household_create(
        actor=org.officer_a,
        village=org.village_a,
        head=head(id_number=id_number, phone="13912345678"),
        fields={},
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM households_member")
        rows = cursor.fetchall()
    raw = " ".join(str(value) for row in rows for value in row)
    assert rows
    assert id_number not in raw
    assert id_number[-10:] not in raw  # not even the birth date + sequence part
    assert "13912345678" not in raw
    member = Member.objects.get()
    assert crypto.decrypt(member.id_number_encrypted, column=services.ID_COLUMN) == id_number


def test_a_duplicate_resident_id_is_refused_and_nothing_is_saved(org):
    existing = HouseholdFactory(village=org.village_a)
    id_number = crypto.decrypt(
        existing.members.get().id_number_encrypted, column=services.ID_COLUMN
    )
    before = (Household.objects.count(), Member.objects.count())
    with pytest.raises(DomainError) as refused:
        services.household_create(
            actor=org.officer_a,
            village=org.village_a,
            head=head(id_number=id_number.lower()),
            fields={},
        )
    assert "身份证号码已登记" in refused.value.errors["id_number"][0]
    assert (Household.objects.count(), Member.objects.count()) == before


def test_database_refuses_a_duplicate_blind_index_even_past_the_service(org):
    member = MemberFactory(household=HouseholdFactory(village=org.village_a))
    twin = Member(
        household=member.household,
        relation=Relation.CHILD,
        name="双胞胎",
        id_number_encrypted=member.id_number_encrypted,
        id_number_index=member.id_number_index,
        id_number_masked=member.id_number_masked,
        birth_date=member.birth_date,
        sex=member.sex,
    )
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"id_number": "430223198005171230"}, "id_number", "身份证号码校验码不正确"),
        ({"id_number": "43022320991231123"}, "id_number", "身份证号码应为18位"),
        ({"phone": "12345"}, "phone", "手机号码应为11位手机号"),
    ],
)
def test_bad_identity_input_names_field_and_rule(org, overrides, field, message):
    with pytest.raises(DomainError) as refused:
        services.household_create(
            actor=org.officer_a, village=org.village_a, head=head(**overrides), fields={}
        )
    assert refused.value.errors[field][0].startswith(message)
    assert not Household.objects.exists()


def test_future_birth_date_in_the_id_is_refused(org):
    future = timezone.localdate() + timedelta(days=30)
    with pytest.raises(DomainError) as refused:
        services.household_create(
            actor=org.officer_a,
            village=org.village_a,
            head=head(id_number=make_resident_id("430223", future, 11)),
            fields={},
        )
    assert "晚于今天" in refused.value.errors["id_number"][0]


def test_negative_income_is_refused_with_the_field_named(org):
    with pytest.raises(DomainError) as refused:
        services.household_create(
            actor=org.officer_a,
            village=org.village_a,
            head=head(),
            fields={"income_wages": Decimal("-1")},
        )
    assert refused.value.errors["income_wages"] == ["工资性收入（元/年）不能为负数"]
    assert not Household.objects.exists()
    assert not Member.objects.exists()


def test_officer_cannot_create_in_another_grid(org):
    with pytest.raises(DomainError) as refused:
        services.household_create(
            actor=org.officer_a, village=org.village_b, head=head(), fields={}
        )
    assert refused.value.code == "permission_denied"
    assert not Household.objects.exists()


def test_member_cannot_be_added_to_a_household_of_another_grid(org):
    other = HouseholdFactory(village=org.village_b)
    with pytest.raises(NotFound):
        services.member_create(
            actor=org.officer_a,
            household=other,
            fields={**head(), "relation": Relation.CHILD},
        )
    assert other.members.count() == 1


def test_a_second_head_is_refused(org):
    household = HouseholdFactory(village=org.village_a)
    with pytest.raises(DomainError) as refused:
        services.member_create(
            actor=org.officer_a, household=household, fields={**head(), "relation": "head"}
        )
    assert "户主" in refused.value.errors["relation"][0]


def test_manager_and_auditor_cannot_change_archives(org):
    household = HouseholdFactory(village=org.village_a)
    for user in (org.manager, org.auditor):
        with pytest.raises(NotFound):
            services.household_update(actor=user, household=household, fields={"address": "改了"})
    household.refresh_from_db()
    assert household.address != "改了"


def test_update_records_which_fields_changed(org):
    household = HouseholdFactory(village=org.village_a)
    services.household_update(
        actor=org.officer_a,
        household=household,
        fields={"income_crops": Decimal("88000"), "address": household.address},
    )
    event = AuditEvent.objects.get(action=AuditAction.HOUSEHOLD_UPDATE)
    assert event.details == {"fields": ["income_crops"]}


def test_reveal_returns_full_values_and_writes_an_audit_event(org):
    id_number = next_resident_id()
    member = MemberFactory(
        household=HouseholdFactory(village=org.village_a, head=False),
        relation=Relation.HEAD,
        name="李秀英",
        id_number=id_number,
        phone="13700001111",
    )
    revealed = services.member_reveal(actor=org.officer_a, member_id=member.pk)
    assert (revealed.name, revealed.id_number, revealed.phone) == (
        "李秀英",
        id_number,
        "13700001111",
    )
    event = AuditEvent.objects.get(action=AuditAction.REVEAL)
    assert (event.actor, event.target_id) == (org.officer_a, str(member.pk))
    assert id_number not in str(event.details) + event.target_label


def test_reveal_outside_scope_or_without_permission_is_refused(org):
    member = MemberFactory(household=HouseholdFactory(village=org.village_b))
    with pytest.raises(NotFound):
        services.member_reveal(actor=org.officer_a, member_id=member.pk)
    with pytest.raises(DomainError):
        services.member_reveal(actor=org.auditor, member_id=member.pk)
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL).exists()


def test_entity_requires_valid_unique_uscc(org):
    fields = {
        "kind": "individual_business",
        "name": "罗家坪农资店",
        "uscc": next_uscc("92"),
        "legal_rep_name": "罗大",
        "legal_rep_id_number": next_resident_id(),
        "village": org.village_a,
        "industry": "批发零售",
    }
    entity = services.business_entity_create(actor=org.officer_a, fields=fields)
    assert entity.category == "enterprise"
    with pytest.raises(DomainError) as duplicate:
        services.business_entity_create(actor=org.officer_a, fields={**fields, "name": "另一家"})
    assert "已建档" in duplicate.value.errors["uscc"][0]
    bad = fields["uscc"][:17] + ("0" if fields["uscc"][17] != "0" else "1")
    with pytest.raises(DomainError) as invalid:
        services.business_entity_create(
            actor=org.officer_a, fields={**fields, "uscc": bad, "name": "第三家"}
        )
    assert invalid.value.errors["uscc"][0].startswith("统一社会信用代码校验码不正确")
    assert BusinessEntity.objects.count() == 1


def test_cooperative_needs_a_93_code_and_links_only_own_grid_households(org):
    own = HouseholdFactory(village=org.village_a)
    other = HouseholdFactory(village=org.village_b)
    fields = {
        "kind": "cooperative",
        "name": "罗家坪油茶合作社",
        "uscc": next_uscc("92"),
        "legal_rep_name": "罗大",
        "legal_rep_id_number": next_resident_id(),
        "village": org.village_a,
        "industry": "油茶种植",
    }
    with pytest.raises(DomainError, match="93"):
        services.business_entity_create(actor=org.officer_a, fields=fields)
    with pytest.raises(DomainError, match="只能关联"):
        services.business_entity_create(
            actor=org.officer_a,
            fields={**fields, "uscc": next_uscc("93")},
            owner_households=[own, other],
        )
    assert not BusinessEntity.objects.exists()
    entity = services.business_entity_create(
        actor=org.officer_a, fields={**fields, "uscc": next_uscc("93")}, owner_households=[own]
    )
    assert list(entity.owner_households.all()) == [own]


def test_visit_is_recorded_by_the_grid_officer_only(org):
    household = HouseholdFactory(village=org.village_a)
    fields = {
        "visited_at": timezone.now() - timedelta(hours=1),
        "place": "农户家中",
        "outcome": "updated",
        "notes": "更新了收入情况",
    }
    visit = services.visit_create(actor=org.officer_a, household=household, fields=fields)
    assert visit.officer == org.officer_a
    with pytest.raises(NotFound):
        services.visit_create(actor=org.officer_b, household=household, fields=fields)
    with pytest.raises(DomainError, match="不能晚于现在"):
        services.visit_create(
            actor=org.officer_a,
            household=household,
            fields={**fields, "visited_at": timezone.now() + timedelta(days=1)},
        )
    assert household.visits.count() == 1


def test_audit_events_cannot_be_changed_or_deleted_through_the_orm(org):
    services.member_reveal(
        actor=org.officer_a,
        member_id=HouseholdFactory(village=org.village_a).members.get().pk,
    )
    event = AuditEvent.objects.get()
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(action="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_postgresql_itself_refuses_to_rewrite_the_audit_log(org, postgres):
    from django.db import DatabaseError, transaction

    services.member_reveal(
        actor=org.officer_a,
        member_id=HouseholdFactory(village=org.village_a).members.get().pk,
    )
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET action = 'x'")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 1


def test_rotate_data_keys_command_re_encrypts_old_values_and_reports_progress(org, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.FUXIANG_DATA_KEY_ID = "old2025"
    crypto.keyring.cache_clear()
    household = HouseholdFactory(village=org.village_a, head__phone="13800001111")
    id_before = crypto.decrypt(
        household.members.get().id_number_encrypted, column="member.id_number"
    )
    settings.FUXIANG_DATA_KEY_ID = "test2026"
    crypto.keyring.cache_clear()

    out = StringIO()
    call_command("rotate_data_keys", stdout=out)

    member = household.members.get()
    assert member.id_number_encrypted.startswith("test2026$")
    assert member.phone_encrypted.startswith("test2026$")
    assert crypto.decrypt(member.id_number_encrypted, column="member.id_number") == id_before
    assert "100%" in out.getvalue()
    assert "2 项已改用密钥 test2026" in out.getvalue()


def test_clearing_a_phone_number_removes_every_trace_of_it(org):
    household = HouseholdFactory(village=org.village_a, head__phone="13800001111")
    member = household.members.get()
    services.member_update(actor=org.officer_a, member=member, fields={"clear_phone": True})
    member.refresh_from_db()
    assert (member.phone_encrypted, member.phone_index, member.phone_masked) == ("", "", "")


def test_an_officer_editing_owners_keeps_links_to_other_grids(org):
    mine = HouseholdFactory(village=org.village_a)
    theirs = HouseholdFactory(village=org.village_b)
    entity = BusinessEntityFactory(village=org.village_a)
    entity.owner_households.set([mine, theirs])
    services.business_entity_update(
        actor=org.officer_a, entity=entity, fields={}, owner_households=[]
    )
    assert list(entity.owner_households.all()) == [theirs]


def _refusals():
    return list(AuditEvent.objects.filter(action=AuditAction.DUPLICATE_REFUSED))


def test_adding_a_member_with_another_grids_id_is_refused_and_audited_masked(org):
    """Issue 10, finding 8: the refusal tells an officer that an ID is archived elsewhere. It
    stays (IDs are archived once); each one is audited so probing can be seen."""
    theirs = HouseholdFactory(village=org.village_b)
    their_id = crypto.decrypt(theirs.members.get().id_number_encrypted, column=services.ID_COLUMN)
    mine = HouseholdFactory(village=org.village_a)
    with pytest.raises(DomainError) as refused:
        services.member_create(
            actor=org.officer_a,
            household=mine,
            fields={**head(id_number=their_id), "relation": Relation.CHILD},
        )
    assert refused.value.code == "duplicate"
    assert mine.members.count() == 1
    (event,) = _refusals()
    assert (event.actor, event.target_type, event.target_id) == (
        org.officer_a, "households.household", str(theirs.pk)
    )  # fmt: skip
    assert event.target_label == f"{their_id[:3]}{'*' * 11}{their_id[-4:]}"
    assert event.details == {"via": "member_create", "household": mine.pk, "outside_scope": True}
    assert their_id not in f"{event.target_label} {event.details}"
    assert event.get_action_display() == "身份证号码已在他处建档，拒绝重复录入"


def test_a_duplicate_head_or_a_changed_id_is_audited_too(org):
    mine = HouseholdFactory(village=org.village_a)
    my_id = crypto.decrypt(mine.members.get().id_number_encrypted, column=services.ID_COLUMN)
    with pytest.raises(DomainError):
        services.household_create(
            actor=org.officer_a, village=org.village_a, head=head(id_number=my_id), fields={}
        )
    other = MemberFactory(household=mine)
    with pytest.raises(DomainError):
        services.member_update(actor=org.officer_a, member=other, fields={"id_number": my_id})
    created, updated = _refusals()[::-1]
    assert created.details == {
        "via": "household_create", "village": org.village_a.pk, "outside_scope": False
    }  # fmt: skip
    assert updated.details == {
        "via": "member_update", "household": mine.pk, "member": other.pk, "outside_scope": False
    }  # fmt: skip
    assert created.target_id == updated.target_id == str(mine.pk)
