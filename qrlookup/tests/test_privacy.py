"""No resident ID or phone number of a villager in any response, log line or URL of the
lookup — only masked, and only where a page is meant to show one."""

from __future__ import annotations

import logging
import re

import pytest
import responses
from django.test import Client

from qrlookup.models import VerificationChallenge

pytestmark = pytest.mark.django_db


def _secrets(*people):
    values = []
    for who in people:
        values += [who.id_number, who.id_number[-10:], who.phone, who.phone[3:]]
    return values


class Recorder:
    """Every URL asked for, every Location answered and every body sent."""

    def __init__(self, client: Client):
        self.client = client
        self.urls: list[str] = []
        self.bodies: list[str] = []

    def _keep(self, url, response):
        self.urls.append(url)
        if response.has_header("Location"):
            self.urls.append(response["Location"])
        content = b"".join(response.streaming_content) if response.streaming else response.content
        self.bodies.append(content.decode("utf-8", "replace"))
        return response

    def get(self, url, **kw):
        return self._keep(url, self.client.get(url, **kw))

    def post(self, url, data=None, **kw):
        return self._keep(url, self.client.post(url, data or {}, **kw))


def test_no_id_or_phone_in_responses_logs_or_urls(
    caplog, org, village_code, rated, flow, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    browser = Recorder(Client())
    token = village_code.token
    browser.get(f"/q/{token}")
    browser.get(f"/q/{token}/start")
    page = browser.get(f"/q/{token}/check")
    key, answer = flow.captcha(page.content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(
            f"/q/{token}/check",
            {"name": rated.head.name, "id_number": rated.head.id_number,
             "captcha_0": key, "captcha_1": answer},
        )  # fmt: skip
    browser.get(f"/q/{token}/code")
    browser.post(f"/q/{token}/code", {"code": "999999"})  # a wrong one first
    browser.post(f"/q/{token}/code", {"code": flow.code_for(rated.head.phone)})
    browser.get("/q/me/")
    browser.get("/q/me/correction")
    browser.post("/q/me/correction", {"note": "收入有变化"})
    browser.post("/q/me/request", {"kind": "rerating"})
    browser.get("/q/me/")
    # and the staff side of it: the outbox, the inbox, a request
    staff = Recorder(Client())
    staff.client.force_login(org.officer_a)
    staff.get("/qrlookup/outbox/")
    staff.get("/qrlookup/requests/")
    staff.get("/qrlookup/stats/")

    assert "王**" in browser.bodies[-1]
    secrets = _secrets(rated.head, rated.spouse)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in secrets:
        for body in browser.bodies + staff.bodies:
            assert secret not in body
        for url in browser.urls + staff.urls:
            assert secret not in url
        assert secret not in logged
    assert re.search(r"138\*{4}5678", staff.bodies[0])  # the outbox shows it masked
    # the session store holds ids, never the typed values
    from django.contrib.sessions.models import Session

    for session in Session.objects.all():
        decoded = str(session.get_decoded())
        assert all(secret not in decoded for secret in secrets)
    for challenge in VerificationChallenge.objects.all():
        assert all(secret not in str(vars(challenge)) for secret in secrets)


@responses.activate
def test_the_tencent_backend_logs_no_number_even_at_debug(caplog, settings, rated):
    """The Tencent SDK logs whole requests at DEBUG; the settings keep its logger quiet."""
    from qrlookup import sms

    settings.TENCENT_SMS_SECRET_ID = "AKIDtest"
    settings.TENCENT_SMS_SECRET_KEY = "secret"
    settings.TENCENT_SMS_SDK_APP_ID = "1400000000"
    settings.TENCENT_SMS_SIGN_NAME = "福祥银行"
    settings.TENCENT_SMS_TEMPLATE_ID = "123456"
    responses.post(
        "https://sms.tencentcloudapi.com/",
        json={"Response": {"SendStatusSet": [{"Code": "Ok", "PhoneNumber": "+86x"}],
                           "RequestId": "r-1"}},
    )  # fmt: skip
    caplog.set_level(logging.DEBUG)
    sms.TencentBackend().send_code(phone=rated.head.phone, code="246810", minutes=5)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert rated.head.phone not in logged
    assert "246810" not in logged
