"""The SMS backends: the outbox (development, demo, tests) and Tencent Cloud SMS, stubbed at
the HTTP boundary with ``responses`` (the SDK signs and posts with ``requests``)."""

from __future__ import annotations

import json

import pytest
import responses

from households.services import phone_index
from qrlookup import sms
from qrlookup.models import SmsOutboxMessage, SmsStatus, VerificationChallenge

pytestmark = pytest.mark.django_db

ENDPOINT = "https://sms.tencentcloudapi.com/"


@pytest.fixture
def tencent(settings):
    settings.QRLOOKUP_SMS_BACKEND = "tencent"
    settings.TENCENT_SMS_SECRET_ID = "AKIDexample"
    settings.TENCENT_SMS_SECRET_KEY = "example-secret-key"
    settings.TENCENT_SMS_SDK_APP_ID = "1400006666"
    settings.TENCENT_SMS_SIGN_NAME = "福祥农商银行"
    settings.TENCENT_SMS_TEMPLATE_ID = "449739"
    return settings


def test_the_outbox_keeps_the_number_masked_and_indexed():
    sms.OutboxBackend().send_code(phone="13812345678", code="123456", minutes=5)
    message = SmsOutboxMessage.objects.get()
    assert message.phone_masked == "138****5678"
    assert message.phone_index == phone_index("13812345678")
    assert "123456" in message.text
    assert "5分钟" in message.text
    assert "13812345678" not in str(vars(message))


@responses.activate
def test_tencent_sends_a_signed_sendsms_request(tencent):
    responses.post(
        ENDPOINT,
        json={"Response": {"SendStatusSet": [{"Code": "Ok", "SerialNo": "2019:1",
              "PhoneNumber": "+8613812345678", "Message": "send success"}],
              "RequestId": "a0aabda6"}},
    )  # fmt: skip
    sms.backend().send_code(phone="13812345678", code="654321", minutes=5)
    call = responses.calls[0].request
    assert call.headers["X-TC-Action"] == "SendSms"
    assert call.headers["X-TC-Version"] == "2021-01-11"
    assert call.headers["X-TC-Region"] == "ap-guangzhou"
    authorization = call.headers["Authorization"]
    assert authorization.startswith("TC3-HMAC-SHA256 Credential=AKIDexample/")
    assert "/sms/tc3_request" in authorization
    assert "Signature=" in authorization
    body = json.loads(call.body)
    assert body["PhoneNumberSet"] == ["+8613812345678"]
    assert body["TemplateParamSet"] == ["654321", "5"]
    assert body["SmsSdkAppId"] == "1400006666"
    assert body["SignName"] == "福祥农商银行"


@responses.activate
def test_tencent_refusals_become_an_sms_error_without_the_number(tencent):
    responses.post(
        ENDPOINT,
        json={"Response": {"SendStatusSet": [{"Code": "LimitExceeded.PhoneNumberDailyLimit",
              "PhoneNumber": "+8613812345678"}], "RequestId": "r"}},
    )  # fmt: skip
    with pytest.raises(sms.SmsError) as error:
        sms.backend().send_code(phone="13812345678", code="654321", minutes=5)
    assert "DailyLimit" in str(error.value)
    assert "13812345678" not in str(error.value)


@responses.activate
def test_tencent_api_errors_become_an_sms_error(tencent):
    responses.post(
        ENDPOINT,
        json={"Response": {"Error": {"Code": "AuthFailure.SignatureFailure",
              "Message": "The provided credentials could not be validated."},
              "RequestId": "r"}},
    )  # fmt: skip
    with pytest.raises(sms.SmsError, match="AuthFailure"):
        sms.backend().send_code(phone="13812345678", code="654321", minutes=5)


@responses.activate
def test_a_failed_send_leaves_no_usable_code(tencent, village_code, rated, flow):
    responses.post(ENDPOINT, status=500, body="upstream down")
    flow.identify(village_code.token, rated.head.name, rated.head.id_number)
    challenge = VerificationChallenge.objects.get()
    assert challenge.sms_status == SmsStatus.FAILED
    assert challenge.code_hash == ""


def test_the_outbox_page_exists_only_with_the_outbox_backend(client, org, tencent):
    client.force_login(org.officer_a)
    assert client.get("/qrlookup/outbox/").status_code == 404
    tencent.QRLOOKUP_SMS_BACKEND = "outbox"
    assert client.get("/qrlookup/outbox/").status_code == 200
    client.logout()
    assert client.get("/qrlookup/outbox/").status_code == 302  # to the login page


def test_with_debug_off_the_outbox_refuses_to_send(settings, village_code, rated, flow):
    """The outbox sends nothing: in a process started without DEBUG it refuses, so no code
    ever sits in the database for someone to read — the lookup's code is simply not sent."""
    settings.SMS_OUTBOX_USABLE = False
    with pytest.raises(sms.SmsError, match="仅用于开发和演示环境"):
        sms.OutboxBackend().send_code(phone="13812345678", code="123456", minutes=5)
    flow.identify(village_code.token, rated.head.name, rated.head.id_number)
    challenge = VerificationChallenge.objects.get()
    assert (challenge.sms_status, challenge.code_hash) == (SmsStatus.FAILED, "")
    assert not SmsOutboxMessage.objects.exists()


def test_with_debug_off_the_outbox_page_is_for_head_office_only(client, org, settings):
    settings.SMS_OUTBOX_USABLE = False
    client.force_login(org.officer_a)
    assert client.get("/qrlookup/outbox/").status_code == 404
    client.force_login(org.head_office)
    assert client.get("/qrlookup/outbox/").status_code == 200
