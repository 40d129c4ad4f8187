"""WeChat web authorisation, silent scope (网页授权 snsapi_base): the official account's openid
of the person scanning, with no consent screen. Off unless ``QRLOOKUP_WECHAT_APP_ID`` and
``QRLOOKUP_WECHAT_APP_SECRET`` are set.

Two calls, so a small client of our own (``requests``) rather than an SDK: the browser is sent
to ``open.weixin.qq.com/connect/oauth2/authorize`` and comes back with a one-time ``code``,
which the server exchanges at ``api.weixin.qq.com/sns/oauth2/access_token`` for the openid."""

from __future__ import annotations

from urllib.parse import urlencode

import requests
from django.conf import settings

AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"
ACCESS_TOKEN_URL = "https://api.weixin.qq.com/sns/oauth2/access_token"  # noqa: S105 (a URL)
TIMEOUT_SECONDS = 5


class WechatError(Exception):
    """WeChat refused the code (``errcode``) or could not be reached."""


def enabled() -> bool:
    return bool(settings.QRLOOKUP_WECHAT_APP_ID and settings.QRLOOKUP_WECHAT_APP_SECRET)


def authorize_url(*, redirect_uri: str, state: str) -> str:
    query = urlencode(
        {
            "appid": settings.QRLOOKUP_WECHAT_APP_ID,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
        }
    )
    return f"{AUTHORIZE_URL}?{query}#wechat_redirect"


def openid_for_code(code: str) -> str:
    """Exchange the one-time ``code`` for the person's openid."""
    try:
        response = requests.get(
            ACCESS_TOKEN_URL,
            params={
                "appid": settings.QRLOOKUP_WECHAT_APP_ID,
                "secret": settings.QRLOOKUP_WECHAT_APP_SECRET,
                "code": code,
                "grant_type": "authorization_code",
            },
            timeout=TIMEOUT_SECONDS,
        )
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise WechatError("微信授权服务暂时无法访问") from exc
    if not isinstance(data, dict) or data.get("errcode") or not data.get("openid"):
        errcode = data.get("errcode") if isinstance(data, dict) else None
        raise WechatError(f"微信授权失败（{errcode}）")
    return str(data["openid"])
