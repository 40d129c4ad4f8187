"""The public flow over HTTP: landing → name + ID + CAPTCHA → SMS code → the household's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from credit import holds as credit_holds
from credit.selectors import household_current_line
from households.models import Relation
from households.tests.factories import HouseholdFactory, next_resident_id
from qrlookup.models import (
    LookupEvent,
    LookupEventKind,
    OfficerRequest,
    RequestKind,
    ScanEvent,
    SmsOutboxMessage,
    VerificationChallenge,
)
from qrlookup.tests.conftest import OFFICER_PHONE, WECHAT_UA, person

pytestmark = pytest.mark.django_db


def test_a_scan_is_counted_for_the_codes_village_grid_and_officer(client, org, village_code):
    page = client.get(f"/q/{village_code.token}", HTTP_USER_AGENT=WECHAT_UA)
    assert page.status_code == 200
    html = page.content.decode()
    assert "罗家坪村" in html
    assert "开始查询" in html
    assert OFFICER_PHONE in html  # the officer to call
    scan = ScanEvent.objects.get()
    assert (scan.code_id, scan.village_id, scan.grid_id, scan.officer_id) == (
        village_code.pk,
        org.village_a.pk,
        org.grid_a.pk,
        org.officer_a.pk,
    )
    assert scan.ua_class == "wechat"
    assert "sessionid" not in page.cookies  # the landing page makes no session


def test_the_villager_verifies_and_sees_grade_limit_rate_and_validity(
    client, org, village_code, rated, flow
):
    line = household_current_line(rated.household.pk)
    assert line is not None
    assert line.status == "active"

    result = flow.verify(village_code.token, rated.head)
    assert result.status_code == 302
    assert result["Location"] == "/q/me/"
    page = client.get("/q/me/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-testid="grade">{line.grade}<' in html
    assert f"{int(line.amount):,} 元" in html
    assert line.rate_percent in html
    assert f"{line.valid_to.year}年{line.valid_to.month}月{line.valid_to.day}日" in html
    assert "王**" in html  # masked name, surname kept
    assert "王建国" not in html
    assert "李秀英" not in html
    assert "李**" not in html
    assert "刘客户经理" in html
    assert OFFICER_PHONE in html
    assert 'data-testid="explanation"' in html
    assert "no-store" in page["Cache-Control"]
    assert LookupEvent.objects.filter(
        kind=LookupEventKind.VERIFIED, household=rated.household
    ).exists()
    assert LookupEvent.objects.filter(kind=LookupEventKind.RESULT, household=rated.household)


def test_any_member_with_a_phone_can_verify_for_the_household(client, village_code, rated, flow):
    assert flow.verify(village_code.token, rated.spouse)["Location"] == "/q/me/"
    html = client.get("/q/me/").content.decode()
    assert "李**" in html
    assert "王" not in html.split('data-testid="who"')[1][:20]


def test_a_code_is_single_use(client, village_code, rated, flow):
    flow.identify(village_code.token, rated.head.name, rated.head.id_number)
    code = flow.code_for(rated.head.phone)
    assert flow.enter(village_code.token, code)["Location"] == "/q/me/"
    client.post("/q/me/leave")  # a new session, the old code replayed
    client.get(f"/q/{village_code.token}/check")
    replay = flow.enter(village_code.token, code)
    assert replay.status_code in (200, 302)
    assert client.get("/q/me/")["Location"] == "/q/expired"


def test_a_code_replayed_in_the_same_session_after_use_fails(client, village_code, rated, flow):
    flow.identify(village_code.token, rated.head.name, rated.head.id_number)
    code = flow.code_for(rated.head.phone)
    session = client.session
    challenge = session["qrl_challenge"]
    assert flow.enter(village_code.token, code)["Location"] == "/q/me/"
    # an attacker who kept the challenge's session cookie tries the same code again
    from qrlookup import verification

    again = verification.verification_confirm(
        challenge_id=challenge, code=code, attribution=None, ua_class="other"
    )
    assert not again.ok


def test_an_expired_code_fails(client, village_code, rated, flow):
    flow.identify(village_code.token, rated.head.name, rated.head.id_number)
    code = flow.code_for(rated.head.phone)
    VerificationChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    page = flow.enter(village_code.token, code)
    assert page.status_code == 200
    assert "验证码不正确或已失效" in page.content.decode()
    assert client.get("/q/me/").status_code == 302


def test_a_code_is_bound_to_the_session_that_asked_for_it(client, village_code, rated, flow):
    from django.test import Client

    flow.identify(village_code.token, rated.head.name, rated.head.id_number)
    code = flow.code_for(rated.head.phone)
    other = Client()
    other.get(f"/q/{village_code.token}/check")
    assert other.post(f"/q/{village_code.token}/code", {"code": code}).status_code == 302
    assert other.get("/q/me/")["Location"] == "/q/expired"  # no challenge: back to the form


def test_five_wrong_codes_lock_the_id_number(client, settings, village_code, rated, flow):
    flow.identify(village_code.token, rated.head.name, rated.head.id_number)
    for _ in range(settings.QRLOOKUP_MAX_FAILED_CODES - 1):
        assert "验证码不正确" in flow.enter(village_code.token, "000000").content.decode()
    assert "已暂停查询" in flow.enter(village_code.token, "000000").content.decode()
    # even the right code of a new challenge is refused now, and so is a new submission
    locked = flow.identify(village_code.token, rated.head.name, rated.head.id_number)
    assert locked.status_code == 403
    assert "已暂停查询" in locked.content.decode()


def test_the_verification_expires_after_the_session_time(client, village_code, rated, flow):
    flow.verify(village_code.token, rated.head)
    session = client.session
    session["qrl_until"] = 0
    session.save()
    assert client.get("/q/me/")["Location"] == "/q/expired"


def test_the_captcha_is_required_and_used_once(client, village_code, rated, flow):
    page = client.get(f"/q/{village_code.token}/check").content.decode()
    key, answer = flow.captcha(page)
    wrong = client.post(
        f"/q/{village_code.token}/check",
        {"name": rated.head.name, "id_number": rated.head.id_number, "captcha_0": key,
         "captcha_1": "0000" if answer != "0000" else "1111"},
    )  # fmt: skip
    assert wrong.status_code == 200
    assert "图形验证码不正确" in wrong.content.decode()
    again = client.post(
        f"/q/{village_code.token}/check",
        {"name": rated.head.name, "id_number": rated.head.id_number, "captcha_0": key,
         "captcha_1": answer},
    )  # fmt: skip
    assert again.status_code == 200  # the key was spent by the wrong try
    assert not VerificationChallenge.objects.exists()


@pytest.mark.parametrize(
    ("name", "id_number", "message"),
    [
        ("", "x", "请填写姓名"),
        ("王建国" * 30, "430223198005170011", "姓名不能超过20个字"),
        ("王建国<script>", "430223198005170011", "姓名只能包含汉字"),
        ("王\u202e建国", "430223198005170011", "姓名只能包含汉字"),
        ("王建国", "4302231980051700", "身份证号码应为18位，您输入了16位"),
        ("王建国", "43022319800517001Y", "身份证号码前17位应为数字"),
        ("王建国", "9" * 4000, "身份证号码应为18位"),
    ],
)
def test_odd_input_gets_a_message_about_the_text_alone(
    client, village_code, flow, name, id_number, message
):
    page = client.get(f"/q/{village_code.token}/check").content.decode()
    key, answer = flow.captcha(page)
    response = client.post(
        f"/q/{village_code.token}/check",
        {"name": name, "id_number": id_number, "captcha_0": key, "captcha_1": answer},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not VerificationChallenge.objects.exists()


def test_full_width_digits_and_a_lower_case_x_are_accepted(client, org, village_code, flow):
    h = HouseholdFactory(village=org.village_a, head=False)
    id_number = next_resident_id()
    while not id_number.endswith("X"):
        id_number = next_resident_id()
    who = person(h, name="阿依古丽·买买提")
    who.member.id_number_masked  # noqa: B018  (exists)
    from households.models import Member
    from households.services import resident_id_index

    Member.objects.filter(pk=who.member.pk).update(id_number_index=resident_id_index(id_number))
    typed = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in id_number[:-1]) + "x"
    response = flow.identify(village_code.token, "阿依古丽•买买提", typed)
    assert response.status_code == 302
    assert flow.code_for(who.phone) is not None


def test_a_verified_session_cannot_read_another_household(client, org, village_code, rated, flow):
    other = HouseholdFactory(village=org.village_a, head=False)
    stranger = person(other, name="赵大山", phone="13700001111")
    flow.verify(village_code.token, rated.head)
    attempts = [
        f"/q/me/?household={other.pk}",
        f"/q/me/?household_id={other.pk}",
        f"/q/me/?member={stranger.member.pk}",
        f"/q/me/{other.pk}",
        f"/q/{village_code.token}?household={other.pk}",
    ]
    for url in attempts:
        html = client.get(url).content.decode()
        assert "赵**" not in html
        assert "赵大山" not in html
    client.post("/q/me/request", {"kind": "rerating", "household": other.pk,
                                  "household_id": other.pk})  # fmt: skip
    client.post("/q/me/correction", {"note": "收入变了", "household": other.pk})
    assert not OfficerRequest.objects.filter(household=other).exists()
    assert OfficerRequest.objects.filter(household=rated.household).count() == 2


def test_a_knocked_out_household_sees_only_the_neutral_sentence(
    client, org, village_code, run_today, flow
):
    h = HouseholdFactory(village=org.village_a, head=False, is_dishonest_debtor=True)
    who = person(h)
    run_today(actor=org.head_office)
    flow.verify(village_code.token, who)
    html = client.get("/q/me/").content.decode()
    assert "请联系您的客户经理" in html
    for word in ("失信", "否决", "一票", 'data-testid="grade"', "怎样提高评级", "扣分"):
        assert word not in html


@pytest.mark.parametrize("status", ["suspended", "revoked", "expired"])
def test_a_held_or_expired_line_sees_only_the_neutral_sentence(
    client, org, village_code, rated, flow, status
):
    line = household_current_line(rated.household.pk)
    if status == "expired":
        type(line).objects.filter(pk=line.pk).update(valid_to=timezone.localdate() - timedelta(1))
    else:
        credit_holds.line_set_status(
            actor=org.manager, line=line, status=status, reason="测试冻结原因"
        )
    flow.verify(village_code.token, rated.head)
    html = client.get("/q/me/").content.decode()
    assert 'data-testid="contact-officer"' in html
    assert "测试冻结原因" not in html
    assert "冻结" not in html
    assert "撤销" not in html
    assert "可以在手机上直接申请线上贷款" not in html
    assert f"{int(line.amount):,}" not in html


def test_a_household_not_yet_rated_asks_for_a_rating_in_one_tap(client, org, village_code, flow):
    h = HouseholdFactory(village=org.village_a, head=False)
    who = person(h)
    flow.verify(village_code.token, who)
    html = client.get("/q/me/").content.decode()
    assert 'data-testid="not-rated"' in html
    client.post("/q/me/request", {"kind": "rating"})
    request = OfficerRequest.objects.get(household=h)
    assert request.kind == RequestKind.RATING
    assert request.grid == org.grid_a
    assert (request.due_at - request.created_at).days == 7
    html = client.get("/q/me/").content.decode()
    assert "申请评级" in html
    assert "办理中" in html
    # a second tap does not make a second request
    client.post("/q/me/request", {"kind": "rating"})
    assert OfficerRequest.objects.filter(household=h).count() == 1
    assert "已提交过同类申请" in client.get("/q/me/").content.decode()


def test_information_wrong_makes_a_correction_request(client, org, village_code, rated, flow):
    flow.verify(village_code.token, rated.head)
    assert client.get("/q/me/correction").status_code == 200
    client.post("/q/me/correction", {"note": "家里新盖了房子"})
    request = OfficerRequest.objects.get(household=rated.household)
    assert request.kind == RequestKind.CORRECTION
    assert request.note == "家里新盖了房子"


def test_leaving_forgets_the_verification(client, village_code, rated, flow):
    flow.verify(village_code.token, rated.head)
    client.post("/q/me/leave")
    assert client.get("/q/me/")["Location"] == "/q/expired"


def test_a_closed_household_cannot_verify(client, org, village_code, rated, flow):
    type(rated.household).objects.filter(pk=rated.household.pk).update(status="closed")
    flow.identify(village_code.token, rated.head.name, rated.head.id_number)
    assert flow.code_for(rated.head.phone) is None


def test_the_phone_gets_at_most_one_code_a_minute(client, village_code, rated, flow):
    from django.test import Client

    flow.identify(village_code.token, rated.head.name, rated.head.id_number)
    second = flow.identify(village_code.token, rated.head.name, rated.head.id_number, c=Client())
    assert second.status_code == 302  # the same answer...
    assert SmsOutboxMessage.objects.count() == 1  # ...but no second SMS within the minute
    assert list(
        VerificationChallenge.objects.values_list("sms_status", flat=True).order_by("created_at")
    ) == ["sent", "limited"]


def test_the_phone_limits_hold_per_hour_and_day(settings, rated):
    from qrlookup import limits

    subject = "phone-index-under-test"
    now = 1_800_000_000.0
    sent = [limits.hit("phone", subject, now=now + minute * 61) for minute in range(12)]
    assert sent[:5] == [True] * 5  # one a minute passes...
    assert sent[5] is False  # ...until five in the hour
    day = [limits.hit("phone", "another", now=now + hour * 3600) for hour in range(12)]
    assert day.count(True) == 10  # ten a day


def test_the_address_is_limited_whatever_the_id(client, settings, village_code, flow):
    settings.QRLOOKUP_LIMITS = {**settings.QRLOOKUP_LIMITS, "ip": ((3, 600),)}
    answers = [
        flow.identify(village_code.token, "张三", next_resident_id()).status_code for _ in range(4)
    ]
    assert answers == [302, 302, 302, 429]


def test_the_id_number_is_limited_whatever_the_address(client, settings, village_code, flow):
    settings.QRLOOKUP_LIMITS = {**settings.QRLOOKUP_LIMITS, "id": ((2, 3600),)}
    unknown = next_resident_id()
    answers = [
        flow.identify(village_code.token, "张三", unknown, REMOTE_ADDR=f"10.0.0.{i}").status_code
        for i in range(3)
    ]
    assert answers == [302, 302, 429]


def test_relation_to_head_does_not_matter_for_verification(client, org, village_code, flow):
    h = HouseholdFactory(village=org.village_a, head=False)
    person(h)
    child = person(h, relation=Relation.CHILD, name="王小明", phone="13600000001")
    assert flow.verify(village_code.token, child)["Location"] == "/q/me/"
