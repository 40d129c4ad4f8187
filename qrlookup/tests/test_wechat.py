"""WeChat web OAuth (snsapi_base): off unless configured; with it, a verified person's openid
is bound so the next scan skips the SMS. WeChat's endpoints are a local stub (``responses``)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from qrlookup import wechat
from qrlookup.models import LookupEvent, WechatBinding
from qrlookup.tests.conftest import WECHAT_UA

pytestmark = pytest.mark.django_db


@pytest.fixture
def wechat_on(settings):
    settings.QRLOOKUP_WECHAT_APP_ID = "wx0123456789abcdef"
    settings.QRLOOKUP_WECHAT_APP_SECRET = "wechat-secret"
    return settings


def _stub_openid(openid: str, code: str = "WXCODE") -> None:
    responses.get(
        wechat.ACCESS_TOKEN_URL,
        match=[responses.matchers.query_param_matcher(
            {"appid": "wx0123456789abcdef", "secret": "wechat-secret", "code": code,
             "grant_type": "authorization_code"})],
        json={"access_token": "ACCESS", "expires_in": 7200, "refresh_token": "R",
              "openid": openid, "scope": "snsapi_base"},
    )  # fmt: skip


def _through_wechat(client, token, code="WXCODE"):
    start = client.get(f"/q/{token}/start", HTTP_USER_AGENT=WECHAT_UA)
    assert start.status_code == 302
    target = urlsplit(start["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == wechat.AUTHORIZE_URL
    query = parse_qs(target.query)
    assert query["scope"] == ["snsapi_base"]
    assert target.fragment == "wechat_redirect"
    assert query["redirect_uri"] == ["http://testserver/q/wechat/callback"]
    return client.get("/q/wechat/callback", {"code": code, "state": query["state"][0]},
                      HTTP_USER_AGENT=WECHAT_UA)  # fmt: skip


def test_without_configuration_wechat_is_skipped(client, village_code):
    start = client.get(f"/q/{village_code.token}/start", HTTP_USER_AGENT=WECHAT_UA)
    assert start["Location"] == f"/q/{village_code.token}/check"


@responses.activate
def test_a_verified_openid_is_bound_and_the_next_scan_skips_the_sms(
    client, wechat_on, village_code, rated, flow
):
    _stub_openid("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
    first = _through_wechat(client, village_code.token)
    assert first["Location"] == f"/q/{village_code.token}/check"  # not bound yet
    assert flow.verify(village_code.token, rated.head)["Location"] == "/q/me/"
    binding = WechatBinding.objects.get()
    assert binding.member == rated.head.member
    assert "oUpF8uMuAJO" not in binding.openid_index  # kept only as a keyed hash

    from django.test import Client

    later = Client()  # another day, the same WeChat account
    again = _through_wechat(later, village_code.token)
    assert again["Location"] == "/q/me/"
    html = later.get("/q/me/").content.decode()
    assert "王**" in html
    assert "解除微信绑定" in html
    assert LookupEvent.objects.filter(kind="wechat", household=rated.household).exists()

    later.post("/q/me/unbind")
    assert not WechatBinding.objects.exists()


@responses.activate
def test_a_forged_state_or_a_refused_code_gets_no_binding(client, wechat_on, village_code):
    client.get(f"/q/{village_code.token}/start", HTTP_USER_AGENT=WECHAT_UA)
    forged = client.get("/q/wechat/callback", {"code": "X", "state": "forged"})
    assert forged["Location"] == "/q/expired"
    responses.get(wechat.ACCESS_TOKEN_URL, json={"errcode": 40029, "errmsg": "invalid code"})
    refused = _through_wechat(client, village_code.token, code="BAD")
    assert refused["Location"] == f"/q/{village_code.token}/check"  # carries on with the SMS
    assert "qrl_openid" not in client.session


@responses.activate
def test_openid_lookups_are_limited(client, settings, wechat_on, village_code):
    settings.QRLOOKUP_LIMITS = {**settings.QRLOOKUP_LIMITS, "openid": ((2, 3600),)}
    _stub_openid("oSameAccount")
    from django.test import Client

    answers = [_through_wechat(Client(), village_code.token).status_code for _ in range(3)]
    assert answers == [302, 302, 429]


def test_wechat_unreachable_is_a_wechat_error(wechat_on):
    with responses.RequestsMock() as stub:
        stub.get(wechat.ACCESS_TOKEN_URL, body=requests.ConnectionError("no route"))
        with pytest.raises(wechat.WechatError):
            wechat.openid_for_code("X")
