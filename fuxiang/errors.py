"""The one error type services raise; views and the API turn it into messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    """A business rule refused an operation.

    ``errors`` maps a field name (or ``"__all__"``) to messages in Chinese that name the field
    and the rule, so a form or an API response can show them where they belong.
    """

    def __init__(
        self, message: str | Mapping[str, Sequence[str] | str], *, code: str = "invalid"
    ) -> None:
        self.errors: dict[str, list[str]]
        if isinstance(message, Mapping):
            self.errors = {k: [v] if isinstance(v, str) else list(v) for k, v in message.items()}
        else:
            self.errors = {"__all__": [message]}
        self.code = code
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return "；".join(msg for msgs in self.errors.values() for msg in msgs)


class NotFound(DomainError):
    """The object does not exist or is outside what the user may see (both look the same)."""

    def __init__(self, message: str = "未找到该记录，或您无权访问。"):
        super().__init__(message, code="not_found")


class PermissionDenied(DomainError):
    """The user's role may not do this here (a 403). Whether a record exists outside the user's
    scope is never told this way: that is ``NotFound``."""

    def __init__(
        self,
        message: str | Mapping[str, Sequence[str] | str] = "您的角色无权进行此操作。",
    ) -> None:
        super().__init__(message, code="permission_denied")
