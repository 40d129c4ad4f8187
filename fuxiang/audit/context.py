"""Where a sensitive action came from, for its audit record: the client's address, its user
agent and the signed-in user. The view builds it from its request
(``AuditContext.from_request``) and passes it to the service, so services never take an
``HttpRequest``; the system (commands, tasks) passes none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from fuxiang.clientaddress import client_address

USER_AGENT_MAX = 300  # AuditEvent.user_agent


@dataclass(frozen=True)
class AuditContext:
    ip: str | None = None
    user_agent: str = ""
    user: Any = None  # the request's user (AnonymousUser for a villager's page)

    @classmethod
    def from_request(cls, request: HttpRequest | Any) -> AuditContext:
        """The address the login lockout counts (behind the proxies: the client's), the user
        agent as sent (cut to what the log keeps) and the request's user."""
        # Django's request under DRF's, so reading the user never runs an authentication
        django_request = getattr(request, "_request", request)
        return cls(
            ip=client_address(request),
            user_agent=(request.META.get("HTTP_USER_AGENT") or "")[:USER_AGENT_MAX],
            user=getattr(django_request, "user", None),
        )
