"""Back-office pages, through HTTP as a browser would use them."""

from __future__ import annotations

import pytest
from django.db.models import DecimalField, PositiveIntegerField
from django.urls import reverse

from fuxiang.audit.models import AuditAction, AuditEvent
from households.models import Household, Member
from households.tests.factories import (
    DEFAULT_PASSWORD,
    BusinessEntityFactory,
    HouseholdFactory,
    MemberFactory,
    next_resident_id,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def household_form(village, **overrides):
    data = {
        "village": village.pk,
        "address": "罗家坪村三组8号",
        "status": "archived",
        "house_ownership": "owned",
        "head-name": "罗志强",
        "head-id_number": next_resident_id(),
        "head-phone": "13907330001",
        "head-health": "good",
        "head-education": "senior",
        "head-labour_ability": "full",
        "rating_consent": "on",
    }
    for field in Household._meta.get_fields():  # every amount and count starts at 0
        if isinstance(field, DecimalField | PositiveIntegerField):
            data[field.name] = "0"
    data.update(income_crops="45000", annual_costs="15000", house_value="280000")
    data.update(overrides)
    return data


def test_officer_sees_own_grid_on_home_and_only_own_households_in_list(org, as_user):
    mine = HouseholdFactory(village=org.village_a)
    theirs = HouseholdFactory(village=org.village_b)
    client = as_user(org.officer_a)
    home = client.get(reverse("home")).content.decode()
    assert "罗家坪网格" in home
    assert "丫江桥网格" not in home
    listing = client.get(reverse("households:list")).content.decode()
    assert reverse("households:detail", args=[mine.pk]) in listing
    assert reverse("households:detail", args=[theirs.pk]) not in listing


def test_officer_gets_404_for_another_grids_household_page_edit_and_member(org, as_user):
    theirs = HouseholdFactory(village=org.village_b)
    member = theirs.members.get()
    client = as_user(org.officer_a)
    assert client.get(reverse("households:detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("households:update", args=[theirs.pk])).status_code == 404
    response = client.post(
        reverse("households:update", args=[theirs.pk]), household_form(org.village_b)
    )
    assert response.status_code == 404
    response = client.post(
        reverse("households:member_create", args=[theirs.pk]),
        {"relation": "child", "name": "外人", "id_number": next_resident_id()},
    )
    assert response.status_code == 404
    assert client.post(reverse("households:member_reveal", args=[member.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.members.count() == 1
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL).exists()


def test_manager_reads_the_branch_but_cannot_edit(org, as_user):
    household = HouseholdFactory(village=org.village_b)
    client = as_user(org.manager)
    assert client.get(reverse("households:detail", args=[household.pk])).status_code == 200
    assert client.get(reverse("households:update", args=[household.pk])).status_code == 403


def test_create_household_through_the_form(org, as_user):
    client = as_user(org.officer_a)
    response = client.post(reverse("households:create"), household_form(org.village_a))
    household = Household.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("households:detail", args=[household.pk])
    page = client.get(response.url).content.decode()
    assert "罗*" in page
    assert "罗志强" not in page
    assert "139****0001" in page
    assert household.net_annual_income == 30000


def test_bad_form_input_is_shown_on_the_field_and_nothing_saved(org, as_user):
    client = as_user(org.officer_a)
    response = client.post(
        reverse("households:create"),
        household_form(org.village_a, **{"head-id_number": "430223198005171230"}),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "身份证号码校验码不正确" in body
    response = client.post(
        reverse("households:create"), household_form(org.village_a, income_wages="-500")
    )
    assert "工资性收入（元/年）不能为负数" in response.content.decode()
    assert not Household.objects.exists()
    assert not Member.objects.exists()


def test_officer_cannot_choose_a_village_of_another_grid(org, as_user):
    client = as_user(org.officer_a)
    response = client.post(reverse("households:create"), household_form(org.village_b))
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not Household.objects.exists()


def test_duplicate_id_is_refused_on_the_member_form(org, as_user):
    household = HouseholdFactory(village=org.village_a)
    id_number = next_resident_id()
    MemberFactory(household=household, id_number=id_number)
    client = as_user(org.officer_a)
    response = client.post(
        reverse("households:member_create", args=[household.pk]),
        {
            "relation": "child",
            "name": "罗小明",
            "id_number": id_number,
            "health": "good",
            "education": "junior",
            "labour_ability": "full",
        },
    )
    assert "身份证号码已登记在另一位成员名下" in response.content.decode()
    assert household.members.count() == 2
    event = AuditEvent.objects.get(action=AuditAction.DUPLICATE_REFUSED)  # after the rollback
    assert (event.actor, event.ip_address) == (org.officer_a, "127.0.0.1")
    assert event.details["outside_scope"] is False


def test_search_by_head_name_and_id_suffix(org, as_user):
    wanted = HouseholdFactory(village=org.village_a, head__name="欧阳娜娜")
    HouseholdFactory(village=org.village_a, head__name="罗大")
    client = as_user(org.officer_a)
    suffix = wanted.members.get().id_number_masked[-4:]
    for query in ({"name": "欧阳"}, {"id_suffix": suffix}):
        page = client.get(reverse("households:list"), query).content.decode()
        assert reverse("households:detail", args=[wanted.pk]) in page
        assert page.count('data-testid="head-name"') == 1


def test_reveal_shows_full_values_and_is_audited(org, as_user):
    id_number = next_resident_id()
    household = HouseholdFactory(village=org.village_a, head__id_number=id_number)
    member = household.members.get()
    client = as_user(org.officer_a)
    response = client.post(reverse("households:member_reveal", args=[member.pk]))
    assert id_number in response.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditAction.REVEAL, actor=org.officer_a, target_id=str(member.pk)
    ).exists()
    auditor = as_user(org.auditor)
    assert auditor.post(reverse("households:member_reveal", args=[member.pk])).status_code == 403


def test_entity_pages_are_scoped(org, as_user):
    mine = BusinessEntityFactory(village=org.village_a)
    theirs = BusinessEntityFactory(village=org.village_b)
    client = as_user(org.officer_a)
    listing = client.get(reverse("households:entity_list")).content.decode()
    assert mine.name in listing
    assert theirs.name not in listing
    assert client.get(reverse("households:entity_detail", args=[theirs.pk])).status_code == 404


def test_audit_log_is_for_auditors_and_head_office(org, as_user):
    household = HouseholdFactory(village=org.village_a)
    as_user(org.officer_a).post(
        reverse("households:member_reveal", args=[household.members.get().pk])
    )
    assert as_user(org.officer_a).get(reverse("audit_log")).status_code == 403
    page = as_user(org.auditor).get(reverse("audit_log"), {"action": "pii.reveal"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "officer_a" in body
    assert "查看完整个人信息" in body


def test_login_page_locks_out_after_five_wrong_passwords(org, client):
    url = reverse("login")
    for _ in range(5):
        client.post(url, {"username": "officer_a", "password": "wrong"})
    response = client.post(url, {"username": "officer_a", "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert "账号已暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).count() >= 5


def test_correct_password_logs_in_and_is_audited(org, client):
    response = client.post(
        reverse("login"), {"username": "officer_a", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=org.officer_a).exists()


def test_pages_require_login(client):
    response = client.get(reverse("households:list"))
    assert response.status_code == 302
    assert reverse("login") in response.url


def test_visit_with_photo_is_recorded_and_the_photo_is_scoped(org, as_user, settings, tmp_path):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    household = HouseholdFactory(village=org.village_a)
    buffer = BytesIO()
    Image.new("RGB", (8, 8), "green").save(buffer, format="PNG")
    photo = SimpleUploadedFile("visit.png", buffer.getvalue(), content_type="image/png")
    client = as_user(org.officer_a)
    response = client.post(
        reverse("households:household_visit_create", args=[household.pk]),
        {
            "visited_at": "2026-11-20T10:30",
            "place": "农户家中",
            "met_person": "户主",
            "outcome": "updated",
            "notes": "核实了养殖规模",
            "photo": photo,
        },
    )
    assert response.status_code == 302
    visit = household.visits.get()
    assert visit.officer == org.officer_a
    page = client.get(reverse("households:detail", args=[household.pk])).content.decode()
    assert "核实了养殖规模" in page
    photo_url = reverse("households:visit_photo", args=[visit.pk])
    assert photo_url in page
    served = client.get(photo_url)
    assert b"".join(served.streaming_content) == buffer.getvalue()
    assert as_user(org.officer_b).get(photo_url).status_code == 404


def test_visit_in_the_future_is_refused_on_the_form(org, as_user):
    household = HouseholdFactory(village=org.village_a)
    response = as_user(org.officer_a).post(
        reverse("households:household_visit_create", args=[household.pk]),
        {"visited_at": "2099-01-01T10:00", "place": "村部", "outcome": "updated"},
    )
    assert "走访时间不能晚于现在" in response.content.decode()
    assert not household.visits.exists()
