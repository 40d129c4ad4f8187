"""Names as an ID card writes them: normalised, and refused with a Chinese message otherwise —
in the service (so the forms and the API), the API's serializers, the back-office form and
the import alike. Field limits are said in plain Chinese, and full-width digits in an ID
number are read as ordinary digits."""

from __future__ import annotations

from datetime import date

import pytest

from fuxiang.errors import DomainError
from households import services
from households.identity import (
    IdentityError,
    make_resident_id,
    normalise_person_name,
    parse_resident_id,
)
from households.models import Member
from households.tests.factories import next_resident_id
from households.tests.test_api import client_for  # noqa: F401  (a fixture)

API = "/api/v1"
FOREIGN_ID = make_resident_id("931840", date(1985, 5, 1), 13)  # 外国人永久居留身份证 (2023)


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("李\u200b四", "李四"),  # zero-width space
        ("  罗志强 ", "罗志强"),
        ("王  强", "王强"),  # padding between two characters
        ("\u202e张三", "张三"),  # a right-to-left override
        ("阿依古丽•买买提", "阿依古丽·买买提"),  # the dot people type, as the ID card has it
        ("阿依古丽・买买提", "阿依古丽·买买提"),
        ("𠀾强", "𠀾强"),  # extension B
        ("\U00031350明", "\U00031350明"),  # extension H (tertiary plane)
        ("⼈民", "人民"),  # a Kangxi radical NFKC folds into the ideograph
    ],
)
def test_names_are_normalised(typed, saved):
    assert normalise_person_name(typed) == saved


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("王😀强", "“😀”"),
        ("张3", "“3”"),
        ("Zhang San", "只能填写汉字"),
        ("·王强", "间隔号"),
        ("王··强", "间隔号"),
        ("王_强", "“_”"),
        ("\u200b", "不能为空"),
        ("张" * 51, "最多50个字"),
    ],
)
def test_what_no_name_contains_is_refused_in_chinese(typed, words):
    with pytest.raises(IdentityError) as refused:
        normalise_person_name(typed)
    assert words in str(refused.value)


def test_latin_letters_only_with_a_foreigners_id():
    assert normalise_person_name("Ｊｏｈｎ　Ｓｍｉｔｈ", foreign=True) == "John Smith"
    assert normalise_person_name("Anna-Maria O'Neil", foreign=True) == "Anna-Maria O'Neil"
    with pytest.raises(IdentityError):
        normalise_person_name("John😀", foreign=True)


def test_full_width_digits_in_an_id_number_are_read_as_digits():
    number = next_resident_id()
    full_width = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９ｘ"))
    assert parse_resident_id(full_width, as_of=date(2026, 1, 1)).number == number


def test_id_messages_carry_no_digits_of_the_id():
    with pytest.raises(IdentityError) as refused:
        parse_resident_id("430223199002300011", as_of=date(2026, 1, 1))
    assert str(refused.value) == "中的出生日期不是有效日期（请核对第7–14位）"
    assert "19900230" not in str(refused.value)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["王😀强", "Zhang San", "张3"])
def test_the_service_refuses_a_name_no_id_card_has(org, name):
    with pytest.raises(DomainError) as refused:
        services.household_create(
            actor=org.officer_a,
            village=org.village_a,
            head={"name": name, "id_number": next_resident_id()},
            fields={},
        )
    assert refused.value.errors["name"][0].startswith("姓名")


@pytest.mark.django_db
def test_the_service_saves_the_normalised_name_and_latin_for_a_foreigner(org):
    household = services.household_create(
        actor=org.officer_a,
        village=org.village_a,
        head={"name": "李\u200b四", "id_number": next_resident_id()},
        fields={},
    )
    assert household.members.get().name == "李四"
    services.member_create(
        actor=org.officer_a,
        household=household,
        fields={"relation": "spouse", "name": "Anna Smith", "id_number": FOREIGN_ID},
    )
    assert Member.objects.filter(name="Anna Smith").exists()


@pytest.mark.django_db
def test_the_api_refuses_an_emoji_name_on_the_head(org, client_for):  # noqa: F811
    payload = {
        "village": org.village_a.pk,
        "head": {"name": "王😀强", "id_number": next_resident_id()},
    }
    response = client_for(org.officer_a).post(f"{API}/households/", payload, format="json")
    assert response.status_code == 400
    assert "不能用于姓名" in response.data["errors"]["head"]["name"][0]


@pytest.mark.django_db
def test_the_form_says_a_field_limit_in_plain_chinese(org, client):
    client.force_login(org.officer_a)
    response = client.post(
        "/households/new/",
        {
            "head-name": "罗志强",
            "head-id_number": next_resident_id(),
            "village": org.village_a.pk,
            "address": "罗" * 201,
            "house_ownership": "owned",
            "status": "archived",
            "livestock_heads": "-2",
        },
    )
    page = response.content.decode()
    assert "最多填写200个字（现在是201个字）" in page
    assert "不能为负数" in page
    assert "确保" not in page
