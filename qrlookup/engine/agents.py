"""The kind of browser a request came from, for the statistics (never stored whole)."""

from __future__ import annotations

_MOBILE = ("Android", "iPhone", "iPad", "Mobile", "HarmonyOS")


def ua_class(user_agent: str) -> str:
    """ "wechat" (WeChat's built-in browser), "mobile", "desktop" or "other"."""
    agent = user_agent or ""
    if "MicroMessenger" in agent:
        return "wechat"
    if any(marker in agent for marker in _MOBILE):
        return "mobile"
    if "Mozilla/" in agent:
        return "desktop"
    return "other"


def is_wechat(user_agent: str) -> bool:
    return "MicroMessenger" in (user_agent or "")
