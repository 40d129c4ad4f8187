"""Reading an uploaded JSON document (an exported scorecard, an exported credit policy)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fuxiang.errors import DomainError


def json_object(
    data: str | bytes | Mapping[str, Any], *, field: str, what: str
) -> Mapping[str, Any]:
    """``data`` as a JSON object, parsed if it is text; a ``DomainError`` on ``field`` in
    Chinese otherwise (``what`` names the document, e.g. "评分卡")."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise DomainError({field: "文件不是有效的JSON"}) from exc
    if not isinstance(data, Mapping):
        raise DomainError({field: f"{what}JSON应为一个对象"})
    return data
