"""The archive API through HTTP, as a client (a mobile app, a script) would use it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.masking import mask_phone, mask_resident_id
from households.models import BusinessEntity, Household, Member, Visit
from households.tests.factories import (
    DEFAULT_PASSWORD,
    BusinessEntityFactory,
    HouseholdFactory,
    MemberFactory,
    next_resident_id,
    next_uscc,
)

API = "/api/v1"


@pytest.fixture
def client_for():
    def make(user: Any) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return make


def household_payload(village_id: int, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "village": village_id,
        "address": "三组8号",
        "income_crops": "30000.00",
        "income_wages": "42000.00",
        "annual_costs": "18000.00",
        "house_value": "260000.00",
        "loans_other_banks": "26000.00",
        "rating_consent": True,
        "head": {
            "name": "罗建华",
            "id_number": next_resident_id(),
            "phone": "13912345678",
            "education": "senior",
        },
    }
    head = overrides.pop("head", {})
    payload.update(overrides)
    payload["head"].update(head)
    return payload


def entity_payload(village_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "individual_business",
        "name": "罗家坪农资店",
        "uscc": next_uscc(),
        "legal_rep_name": "罗建华",
        "legal_rep_id_number": next_resident_id(),
        "village": village_id,
        "industry": "批发零售",
        "annual_revenue": "600000.00",
        "total_assets": "300000.00",
        "total_liabilities": "50000.00",
        "current_liabilities": "20000.00",
        **overrides,
    }


def with_wrong_check_char(id_number: str) -> str:
    return id_number[:17] + ("0" if id_number[17] != "0" else "1")


# --- scope: another grid's rows do not exist -------------------------------------------------


def test_officer_lists_only_households_of_own_grid(org, client_for):
    own = {HouseholdFactory(village=org.village_a).pk for _ in range(2)}
    HouseholdFactory(village=org.village_b)

    response = client_for(org.officer_a).get(f"{API}/households/")

    assert response.status_code == 200
    assert response.data["count"] == 2
    assert {row["id"] for row in response.data["results"]} == own


def test_household_list_filters_by_head_name_and_id_suffix(org, client_for):
    wanted = HouseholdFactory(village=org.village_a, head__name="罗建华")
    HouseholdFactory(village=org.village_a, head__name="刘小平")
    suffix = wanted.members.get().id_number_masked[-4:]
    client = client_for(org.officer_a)

    by_name = client.get(f"{API}/households/", {"name": "建华"})
    by_suffix = client.get(f"{API}/households/", {"id_suffix": suffix})

    assert [row["id"] for row in by_name.data["results"]] == [wanted.pk]
    assert [row["head_name_masked"] for row in by_name.data["results"]] == ["罗**"]
    assert wanted.pk in {row["id"] for row in by_suffix.data["results"]}


def test_officer_cannot_open_household_of_another_grid(org, client_for):
    other = HouseholdFactory(village=org.village_b)

    response = client_for(org.officer_a).get(f"{API}/households/{other.pk}/")

    assert response.status_code == 404
    assert response.data == {"detail": "未找到该记录，或您无权访问。"}


def test_officer_cannot_change_household_of_another_grid(org, client_for):
    other = HouseholdFactory(village=org.village_b, address="原地址")

    response = client_for(org.officer_a).patch(
        f"{API}/households/{other.pk}/", {"address": "改过的地址"}, format="json"
    )

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.address == "原地址"


def test_officer_cannot_add_member_to_household_of_another_grid(org, client_for):
    other = HouseholdFactory(village=org.village_b)
    payload = {"relation": "spouse", "name": "陈秀英", "id_number": next_resident_id(male=False)}

    response = client_for(org.officer_a).post(
        f"{API}/households/{other.pk}/members/", payload, format="json"
    )

    assert response.status_code == 404
    assert other.members.count() == 1


def test_officer_cannot_create_household_in_village_of_another_grid(org, client_for):
    response = client_for(org.officer_a).post(
        f"{API}/households/", household_payload(org.village_b.pk), format="json"
    )

    assert response.status_code == 400
    assert "不在您负责的范围内" in response.data["errors"]["village"][0]
    assert not Household.objects.exists()


# --- creating a household -------------------------------------------------------------------


def test_officer_creates_household_with_head_and_gets_only_masked_pii(org, client_for):
    payload = household_payload(org.village_a.pk)
    id_number, phone = payload["head"]["id_number"], payload["head"]["phone"]

    response = client_for(org.officer_a).post(f"{API}/households/", payload, format="json")

    assert response.status_code == 201, response.data
    body = response.content.decode()
    assert id_number not in body
    assert phone not in body
    assert "罗建华" not in body
    assert "encrypted" not in body
    assert "_index" not in body
    (head,) = response.data["members"]
    assert head["relation"] == "head"
    assert head["name_masked"] == "罗**"
    assert head["id_number_masked"] == mask_resident_id(id_number)
    assert head["phone_masked"] == mask_phone(phone)
    assert head["birth_date"] == f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}"
    assert response.data["annual_income"] == "72000.00"
    assert response.data["net_annual_income"] == "54000.00"
    assert response.data["debt_ratio"] == "0.1000"
    household = Household.objects.get(pk=response.data["id"])
    assert household.village == org.village_a
    assert household.created_by == org.officer_a
    assert household.members.get().relation == "head"


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        pytest.param(
            lambda p: p["head"].update(id_number=with_wrong_check_char(p["head"]["id_number"])),
            ("head", "id_number"),
            "身份证号码校验码不正确",
            id="id-check-char",
        ),
        pytest.param(
            lambda p: p["head"].update(id_number="43022319800230001X"),
            ("head", "id_number"),
            "身份证号码中的出生日期不是有效日期",
            id="id-birth-date",
        ),
        pytest.param(
            lambda p: p["head"].update(phone="12812345678"),
            ("head", "phone"),
            "手机号码应为11位手机号",
            id="phone",
        ),
        pytest.param(
            lambda p: p.update(income_crops="-1.00"),
            ("income_crops",),
            "种植业收入（元/年）不能为负数",
            id="negative-income",
        ),
        pytest.param(
            lambda p: p["head"].pop("name"),
            ("head", "name"),
            "姓名为必填项",
            id="missing-name",
        ),
        pytest.param(lambda p: p.pop("head"), ("head",), "户主为必填项", id="missing-head"),
    ],
)
def test_invalid_household_is_refused_with_message_on_its_field(
    org, client_for, change, path, message
):
    payload = household_payload(org.village_a.pk)
    change(payload)

    response = client_for(org.officer_a).post(f"{API}/households/", payload, format="json")

    assert response.status_code == 400
    errors = response.data["errors"]
    for key in path:
        errors = errors[key]
    assert any(message in error for error in errors), response.data
    assert not Household.objects.exists()
    assert not Member.objects.exists()


def test_duplicate_resident_id_is_refused_and_nothing_is_saved(org, client_for):
    existing = next_resident_id()
    MemberFactory(household=HouseholdFactory(village=org.village_b), id_number=existing)
    households, members = Household.objects.count(), Member.objects.count()
    payload = household_payload(org.village_a.pk, head={"id_number": existing.lower()})

    response = client_for(org.officer_a).post(f"{API}/households/", payload, format="json")

    assert response.status_code == 400
    assert response.data["code"] == "duplicate"
    assert "已登记在另一位成员名下" in response.data["errors"]["head"]["id_number"][0]
    assert Household.objects.count() == households
    assert Member.objects.count() == members


# --- changing a household and its members ---------------------------------------------------


def test_officer_updates_household_and_sees_new_totals(org, client_for):
    household = HouseholdFactory(village=org.village_a)

    response = client_for(org.officer_a).patch(
        f"{API}/households/{household.pk}/",
        {"income_business": "10000.00", "private_loans": "35000.00"},
        format="json",
    )

    assert response.status_code == 200, response.data
    assert response.data["income_business"] == "10000.00"
    assert response.data["annual_income"] == "80000.00"  # 30000 crops + 40000 wages + 10000
    assert response.data["total_liabilities"] == "35000.00"
    household.refresh_from_db()
    assert household.private_loans == 35000


def test_negative_value_in_update_is_refused_and_not_saved(org, client_for):
    household = HouseholdFactory(village=org.village_a)

    response = client_for(org.officer_a).patch(
        f"{API}/households/{household.pk}/", {"deposits": "-5"}, format="json"
    )

    assert response.status_code == 400
    assert response.data["errors"] == {"deposits": ["存款（元）不能为负数"]}
    household.refresh_from_db()
    assert household.deposits == 50000


def test_officer_adds_member_with_masked_output(org, client_for):
    household = HouseholdFactory(village=org.village_a)
    id_number = next_resident_id(male=False)

    response = client_for(org.officer_a).post(
        f"{API}/households/{household.pk}/members/",
        {"relation": "spouse", "name": "陈秀英", "id_number": id_number, "phone": "13700001111"},
        format="json",
    )

    assert response.status_code == 201, response.data
    assert response.data["sex"] == "F"
    assert response.data["id_number_masked"] == mask_resident_id(id_number)
    assert id_number not in response.content.decode()
    assert household.members.count() == 2


def test_second_head_is_refused(org, client_for):
    household = HouseholdFactory(village=org.village_a)

    response = client_for(org.officer_a).post(
        f"{API}/households/{household.pk}/members/",
        {"relation": "head", "name": "刘二", "id_number": next_resident_id()},
        format="json",
    )

    assert response.status_code == 400
    assert response.data["errors"]["relation"] == ["该户已有户主，每户只能有一位户主"]
    assert household.members.count() == 1


def test_officer_changes_member_phone(org, client_for):
    member = HouseholdFactory(village=org.village_a).members.get()

    response = client_for(org.officer_a).patch(
        f"{API}/members/{member.pk}/", {"phone": "15011112222"}, format="json"
    )

    assert response.status_code == 200, response.data
    assert response.data["phone_masked"] == "150****2222"
    member.refresh_from_db()
    assert member.phone_masked == "150****2222"


def test_officer_cannot_change_member_of_another_grid(org, client_for):
    member = HouseholdFactory(village=org.village_b).members.get()

    response = client_for(org.officer_a).patch(
        f"{API}/members/{member.pk}/", {"occupation": "务工"}, format="json"
    )

    assert response.status_code == 404
    member.refresh_from_db()
    assert member.occupation == ""


# --- revealing personal data ----------------------------------------------------------------


def test_officer_reveals_member_and_the_reveal_is_audited(org, client_for):
    id_number = next_resident_id()
    member = HouseholdFactory(
        village=org.village_a, head__name="罗建华", head__id_number=id_number
    ).members.get()

    response = client_for(org.officer_a).post(f"{API}/members/{member.pk}/reveal/")

    assert response.status_code == 200
    assert response.data["id_number"] == id_number
    assert response.data["name"] == "罗建华"
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action=AuditAction.REVEAL)
    assert event.actor == org.officer_a
    assert event.target_id == str(member.pk)
    assert id_number not in event.target_label


def test_auditor_may_not_reveal(org, client_for):
    member = HouseholdFactory(village=org.village_a).members.get()

    response = client_for(org.auditor).post(f"{API}/members/{member.pk}/reveal/")

    assert response.status_code == 403
    assert "id_number" not in response.data
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL).exists()


def test_officer_cannot_reveal_member_of_another_grid(org, client_for):
    member = HouseholdFactory(village=org.village_b).members.get()

    response = client_for(org.officer_a).post(f"{API}/members/{member.pk}/reveal/")

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL).exists()


# --- roles ----------------------------------------------------------------------------------


def test_branch_manager_reads_branch_but_cannot_write(org, client_for):
    households = {HouseholdFactory(village=v).pk for v in (org.village_a, org.village_b)}
    client = client_for(org.manager)
    one = next(iter(households))

    listed = client.get(f"{API}/households/")
    detail = client.get(f"{API}/households/{one}/")
    created = client.post(f"{API}/households/", household_payload(org.village_a.pk), format="json")
    changed = client.patch(f"{API}/households/{one}/", {"address": "改"}, format="json")

    assert listed.status_code == 200
    assert {row["id"] for row in listed.data["results"]} == households
    assert detail.status_code == 200
    assert created.status_code == 403
    assert changed.status_code == 403
    assert Household.objects.count() == 2
    assert Household.objects.get(pk=one).address != "改"


def test_auditor_cannot_create_business_entity(org, client_for):
    response = client_for(org.auditor).post(
        f"{API}/entities/", entity_payload(org.village_a.pk), format="json"
    )

    assert response.status_code == 403
    assert not BusinessEntity.objects.exists()


def test_head_office_may_correct_any_grid(org, client_for):
    household = HouseholdFactory(village=org.village_b)

    response = client_for(org.head_office).patch(
        f"{API}/households/{household.pk}/", {"status": "incomplete"}, format="json"
    )

    assert response.status_code == 200, response.data
    household.refresh_from_db()
    assert household.status == "incomplete"


def test_anonymous_request_is_refused(org):
    HouseholdFactory(village=org.village_a)

    response = APIClient().get(f"{API}/households/")

    assert response.status_code in {401, 403}  # which one depends on the first authenticator
    assert "results" not in response.data


# --- business entities ----------------------------------------------------------------------


def test_officer_creates_business_entity_with_masked_legal_rep(org, client_for):
    household = HouseholdFactory(village=org.village_a)
    payload = entity_payload(org.village_a.pk, owner_households=[household.pk])

    response = client_for(org.officer_a).post(f"{API}/entities/", payload, format="json")

    assert response.status_code == 201, response.data
    assert response.data["category"] == "enterprise"
    assert response.data["legal_rep_name_masked"] == "罗**"
    assert response.data["owner_households"] == [household.pk]
    assert payload["legal_rep_id_number"] not in response.content.decode()
    assert BusinessEntity.objects.get().uscc == payload["uscc"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param(
            {"uscc": with_wrong_check_char(next_uscc())},
            "uscc",
            "统一社会信用代码校验码不正确",
            id="uscc-check-char",
        ),
        pytest.param(
            {"uscc": "91430223MA4L0000I1"}, "uscc", "含有不允许的字符I", id="uscc-letter-i"
        ),
        pytest.param({"kind": "cooperative"}, "uscc", "应以93开头", id="cooperative-prefix"),
        pytest.param(
            {"current_liabilities": "90000.00"},
            "current_liabilities",
            "流动负债不能大于负债总额",
            id="current-over-total",
        ),
    ],
)
def test_invalid_business_entity_is_refused(org, client_for, overrides, field, message):
    payload = entity_payload(org.village_a.pk, **overrides)

    response = client_for(org.officer_a).post(f"{API}/entities/", payload, format="json")

    assert response.status_code == 400
    assert any(message in error for error in response.data["errors"][field]), response.data
    assert not BusinessEntity.objects.exists()


def test_officer_sees_only_entities_of_own_grid(org, client_for):
    own = BusinessEntityFactory(village=org.village_a)
    other = BusinessEntityFactory(village=org.village_b)
    client = client_for(org.officer_a)

    listed = client.get(f"{API}/entities/")
    hidden = client.get(f"{API}/entities/{other.pk}/")
    changed = client.patch(f"{API}/entities/{other.pk}/", {"name": "改名"}, format="json")

    assert [row["id"] for row in listed.data["results"]] == [own.pk]
    assert hidden.status_code == 404
    assert changed.status_code == 404
    other.refresh_from_db()
    assert other.name != "改名"


def test_officer_updates_entity_without_retyping_legal_rep_id(org, client_for):
    entity = BusinessEntityFactory(village=org.village_a)

    response = client_for(org.officer_a).patch(
        f"{API}/entities/{entity.pk}/", {"employees": 7}, format="json"
    )

    assert response.status_code == 200, response.data
    entity.refresh_from_db()
    assert entity.employees == 7


def test_legal_rep_reveal_is_audited_and_refused_to_auditor(org, client_for):
    legal_rep_id = next_resident_id()
    entity = BusinessEntityFactory(village=org.village_a, legal_rep_id=legal_rep_id)

    refused = client_for(org.auditor).post(f"{API}/entities/{entity.pk}/reveal/")
    revealed = client_for(org.officer_a).post(f"{API}/entities/{entity.pk}/reveal/")

    assert refused.status_code == 403
    assert revealed.status_code == 200
    assert revealed.data["id_number"] == legal_rep_id
    assert AuditEvent.objects.filter(action=AuditAction.REVEAL).count() == 1


# --- visits ---------------------------------------------------------------------------------


def test_officer_records_visit_to_own_household(org, client_for):
    household = HouseholdFactory(village=org.village_a)
    payload = {
        "household": household.pk,
        "visited_at": "2025-03-01T10:30:00+08:00",
        "place": "农户家中",
        "outcome": "archived",
    }

    created = client_for(org.officer_a).post(f"{API}/visits/", payload, format="json")
    listed = client_for(org.officer_a).get(f"{API}/visits/", {"household": household.pk})

    assert created.status_code == 201, created.data
    assert created.data["officer"] == org.officer_a.pk
    assert [row["id"] for row in listed.data["results"]] == [created.data["id"]]


def test_visit_to_household_of_another_grid_is_refused(org, client_for):
    other = HouseholdFactory(village=org.village_b)
    payload = {
        "household": other.pk,
        "visited_at": "2025-03-01T10:30:00+08:00",
        "place": "农户家中",
        "outcome": "archived",
    }

    response = client_for(org.officer_a).post(f"{API}/visits/", payload, format="json")

    assert response.status_code == 400
    assert "household" in response.data["errors"]
    assert not Visit.objects.exists()


def test_visit_needs_exactly_one_subject(org, client_for):
    payload = {"visited_at": "2025-03-01T10:30:00+08:00", "place": "村部", "outcome": "not_home"}

    response = client_for(org.officer_a).post(f"{API}/visits/", payload, format="json")

    assert response.status_code == 400
    assert response.data["errors"]["__all__"] == ["走访对象应为一户农户或一个经营主体"]
    assert not Visit.objects.exists()


def test_branch_manager_cannot_record_visit(org, client_for):
    household = HouseholdFactory(village=org.village_a)
    payload = {
        "household": household.pk,
        "visited_at": "2025-03-01T10:30:00+08:00",
        "place": "农户家中",
        "outcome": "archived",
    }

    response = client_for(org.manager).post(f"{API}/visits/", payload, format="json")

    assert response.status_code == 403
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    ("visited_at", "message"),
    [
        pytest.param("昨天上午", "走访时间格式不正确", id="unparseable"),
        pytest.param("2999-01-01T09:00:00+08:00", "走访时间不能晚于现在", id="future"),
    ],
)
def test_visit_time_is_checked(org, client_for, visited_at, message):
    household = HouseholdFactory(village=org.village_a)
    payload = {
        "household": household.pk,
        "visited_at": visited_at,
        "place": "农户家中",
        "outcome": "archived",
    }

    response = client_for(org.officer_a).post(f"{API}/visits/", payload, format="json")

    assert response.status_code == 400
    assert response.data["errors"]["visited_at"][0].startswith(message)
    assert not Visit.objects.exists()


# --- organisation ---------------------------------------------------------------------------


def test_officer_sees_own_grid_and_its_villages(org, client_for):
    client = client_for(org.officer_a)

    villages = client.get(f"{API}/villages/")
    grids = client.get(f"{API}/grids/")

    assert [(v["id"], v["registered_households"]) for v in villages.data["results"]] == [
        (org.village_a.pk, org.village_a.registered_households)
    ]
    (grid,) = grids.data["results"]
    assert grid["id"] == org.grid_a.pk
    assert [v["name"] for v in grid["villages"]] == ["罗家坪村"]


# --- authentication and schema --------------------------------------------------------------


def test_token_obtained_with_password_authenticates_requests(org):
    HouseholdFactory(village=org.village_a)
    client = APIClient()

    obtained = client.post(
        f"{API}/auth/token/",
        {"username": "officer_a", "password": DEFAULT_PASSWORD},
        format="json",
    )
    client.credentials(HTTP_AUTHORIZATION=f"Token {obtained.data['token']}")
    listed = client.get(f"{API}/households/")

    assert obtained.status_code == 200
    assert listed.status_code == 200
    assert listed.data["count"] == 1
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=org.officer_a).exists()


def test_wrong_password_gets_no_token(org):
    response = APIClient().post(
        f"{API}/auth/token/", {"username": "officer_a", "password": "wrong"}, format="json"
    )

    assert response.status_code == 400
    assert response.data["errors"]["__all__"] == ["用户名或密码不正确"]
    assert "token" not in response.data


def test_token_endpoint_locks_out_after_five_failures(org):
    client = APIClient()
    for _ in range(5):
        client.post(
            f"{API}/auth/token/", {"username": "officer_a", "password": "wrong"}, format="json"
        )

    response = client.post(
        f"{API}/auth/token/",
        {"username": "officer_a", "password": DEFAULT_PASSWORD},
        format="json",
    )

    assert response.status_code == 429
    assert "token" not in response.data


def test_schema_is_served_to_a_signed_in_user(org, client_for):
    response = client_for(org.officer_a).get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert "/api/v1/households/{id}/members/" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/members/{id}/reveal/"]
