"""The address of the client that sent a request: one answer for the login lockout
(django-axes) and for audit events.

Behind reverse proxies the connection comes from the nearest proxy (``REMOTE_ADDR``); the
client's own address is in ``X-Forwarded-For``, where each proxy appends the address it was
connected from (nginx's ``$proxy_add_x_forwarded_for``). Anything to the left of what our
proxies appended was written by the client and is not believed. Without a proxy setting the
header is not read at all, so a client cannot choose the address it is counted under.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def proxy_settings(proxy_count: int) -> dict[str, Any]:
    """The django-axes / django-ipware settings for ``proxy_count`` reverse proxies in front of
    the application (0: clients connect directly).

    ipware counts the proxies *listed in* ``X-Forwarded-For`` after the client; the nearest
    proxy is not in the header (it is ``REMOTE_ADDR``), so N proxies leave N - 1 there and the
    client is the N-th entry from the right. Non-strict: a client's own forged entries to the
    left are skipped instead of making the header unusable (which would fall back to the
    proxy's address, shared by everyone).
    """
    if proxy_count < 0:
        raise ValueError("the number of proxies cannot be negative")
    if proxy_count == 0:
        return {
            "AXES_IPWARE_META_PRECEDENCE_ORDER": ("REMOTE_ADDR",),
            "AXES_IPWARE_PROXY_COUNT": None,
            "IPWARE_STRICT": True,
        }
    return {
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"),
        "AXES_IPWARE_PROXY_COUNT": proxy_count - 1,
        "IPWARE_STRICT": False,
    }


def client_address(request: HttpRequest | Any | None) -> str | None:
    """The client's address as the settings above define it (django-axes' own helper, so the
    lockout and the audit log can never disagree)."""
    if request is None:
        return None
    # Imported here: axes' configuration module reads settings when it is imported.
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request)
