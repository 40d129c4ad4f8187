"""What the OpenAPI schema (drf-spectacular) says beyond what the views declare one by one:
the answers every operation of a kind can give, so a client (and schemathesis, which checks
each answer against the schema) finds each of them documented.

- every operation that needs a token: 401 ``{"detail"}`` without a valid one;
- every operation with a JSON body: 400 in the ``Error`` shape for a body that is not JSON,
  415 for another content type;
- every list with pages: ``page`` starts at 1, and a page past the end is 404 ``{"detail"}``;
- every list with filters: 400 in the ``Error`` shape for a filter value it cannot read;
- every operation on ``/{id}/``: 404 ``{"detail"}`` (a missing id, one outside the user's scope
  and one that is not a number look the same).

Amounts are decimal strings; one that may not be negative says so in its pattern.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

DETAIL = {"$ref": "#/components/schemas/Detail"}
ERROR = {"$ref": "#/components/schemas/Error"}

UNAUTHORIZED = {
    "description": "未登录或令牌无效、已过期（请求头 Authorization: Token <token>）",
    "content": {
        "application/json": {
            "schema": DETAIL,
            "examples": {"令牌无效": {"value": {"detail": "认证令牌无效。"}}},
        }
    },
}
MALFORMED = {
    "description": "请求被拒绝：按字段给出中文原因；请求体不是合法的 JSON 时原因在 __all__ 下",
    "content": {
        "application/json": {
            "schema": ERROR,
            "examples": {
                "字段错误": {
                    "value": {"errors": {"address": ["家庭住址为必填项"]}, "code": "invalid"}
                },
                "JSON格式错误": {
                    "value": {
                        "errors": {"__all__": ["请求体不是合法的JSON：第1行第2列"]},
                        "code": "parse_error",
                    }
                },
            },
        }
    },
}
UNSUPPORTED = {
    "description": "请求体须为 application/json",
    "content": {"application/json": {"schema": DETAIL}},
}
PAGE_NOT_FOUND = {
    "description": "页码超出范围（page 从 1 开始）",
    "content": {
        "application/json": {
            "schema": DETAIL,
            "examples": {"无效页面": {"value": {"detail": "无效页面。"}}},
        }
    },
}
BAD_FILTER = {
    "description": "查询参数无法识别：按参数给出中文原因",
    "content": {
        "application/json": {
            "schema": ERROR,
            "examples": {
                "参数错误": {
                    "value": {"errors": {"village": ["村/社区格式不正确"]}, "code": "invalid"}
                }
            },
        }
    },
}
NOT_FOUND = {
    "description": "不存在或不在您的权限范围内（编号不是整数时也是 404）",
    "content": {"application/json": {"schema": DETAIL}},
}


def _add(responses: dict[str, Any], code: str, response: dict[str, Any]) -> None:
    if code not in responses:
        responses[code] = response


def document_common_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Detail",
        {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
    )
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            if operation.get("security") != [{}] and operation.get("security", True):
                _add(responses, "401", UNAUTHORIZED)
            if "requestBody" in operation:
                _add(responses, "400", MALFORMED)
                _add(responses, "415", UNSUPPORTED)
            query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
            for parameter in query:
                if parameter["name"] == "page":
                    parameter["schema"] = {**parameter["schema"], "minimum": 1}
                    _add(responses, "404", PAGE_NOT_FOUND)
            if any(p["name"] != "page" for p in query):
                _add(responses, "400", BAD_FILTER)
            if "{" in path:
                _add(responses, "404", NOT_FOUND)
    return result


class DecimalFieldExtension(OpenApiSerializerFieldExtension):
    """A decimal that may not be negative (``min_value`` ≥ 0) has no minus in its pattern, and
    its bounds are in the description (a decimal string has no ``minimum`` in OpenAPI)."""

    target_class = "rest_framework.serializers.DecimalField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        field: serializers.DecimalField = self.target
        schema = auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        if schema.get("type") != "string" or field.max_whole_digits is None:
            return schema
        # at least one digit (drf-spectacular's own pattern also matches "", which is refused)
        whole, places = field.max_whole_digits, field.decimal_places
        sign = "-?"
        if field.min_value is not None and field.min_value >= 0:
            sign = ""
            bound = f"不小于{field.min_value}" if field.min_value else "不能为负数"
            description = schema.get("description", "")
            schema["description"] = f"{description}（{bound}）" if description else bound
        if whole == 0:
            number = rf"{sign}(0?\.[0-9]{{1,{places}}}|0)"
        else:
            number = rf"{sign}([0-9]{{1,{whole}}}(\.[0-9]{{0,{places}}})?|\.[0-9]{{1,{places}}})"
        # a field that may be null reads "" as null too
        schema["pattern"] = f"^({number})?$" if field.allow_null else f"^{number}$"
        return schema
