"""How the API reports refusals: one body shape for every 400, whoever refused.

A service's ``DomainError`` and a serializer's ``ValidationError`` both become
``{"errors": {field: [messages]}, "code": ...}`` (400), so a client shows messages beside the
field they name the same way in both cases. ``NotFound`` is a 404 that looks the same whether
the row does not exist or is outside the user's scope; ``PermissionDenied`` is a 403.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

# registers the schema's field extension (imported for its side effect)
from fuxiang import schema as _schema  # noqa: F401
from fuxiang.errors import DomainError, NotFound, PermissionDenied

# DRF's key for errors that belong to no field; the services and Django forms use "__all__".
_DRF_NON_FIELD_KEY = "non_field_errors"
_NON_FIELD_KEY = "__all__"


MESSAGES = {"type": "array", "items": {"type": "string"}}


@extend_schema_field(
    {
        "type": "object",
        "description": (
            "字段 → 中文原因列表；整体的原因在 __all__ 下。嵌套对象（如新建农户的 head）的错误"
            '按其字段再分一层：{"head": {"id_number": ["..."]}}'
        ),
        "additionalProperties": {
            "oneOf": [MESSAGES, {"type": "object", "additionalProperties": MESSAGES}]
        },
    }
)
class ErrorsField(serializers.DictField):
    pass


class ErrorSerializer(serializers.Serializer):
    """400 (and 403 from a service): messages keyed by field, "__all__" for the whole."""

    errors = ErrorsField()
    code = serializers.CharField()
    detail = serializers.CharField(required=False)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


# --- JSON bodies are read as typed --------------------------------------------------------------
# DRF coerces: "1" is an integer, 0 a boolean, 5 a string, {} an empty list. A JSON body must
# carry the types the schema gives (strings for amounts and dates), so a client's mistake is
# refused (400) rather than guessed at.


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _expected_type(field: serializers.Field) -> tuple[str, Any] | None:
    if isinstance(field, serializers.BooleanField):
        return "true/false", lambda v: isinstance(v, bool)
    if isinstance(field, serializers.ManyRelatedField | serializers.ListField):
        return (
            "列表",
            lambda v: (
                isinstance(v, list)
                and (
                    not isinstance(field, serializers.ManyRelatedField)
                    or all(_is_int(i) for i in v)
                )
            ),
        )
    if isinstance(field, serializers.PrimaryKeyRelatedField | serializers.IntegerField):
        return "整数", _is_int
    if isinstance(field, serializers.MultipleChoiceField):
        return None
    if isinstance(
        field,
        serializers.CharField
        | serializers.ChoiceField
        | serializers.DecimalField
        | serializers.DateField
        | serializers.DateTimeField
        | serializers.TimeField,
    ):
        return "字符串", lambda v: isinstance(v, str)
    if isinstance(field, serializers.DictField | serializers.Serializer):
        return "对象", lambda v: isinstance(v, dict)
    return None


class JsonTypesMixin:
    """For input serializers of JSON bodies: a value of the wrong JSON type is refused with the
    field's name, before DRF would coerce it. Bodies that are not JSON (a multipart upload)
    carry only strings and are left to DRF."""

    def to_internal_value(self, data: Any) -> Any:
        request = getattr(self, "context", {}).get("request")
        is_json = request is None or "json" in (getattr(request, "content_type", "") or "json")
        if is_json and isinstance(data, dict):
            errors: dict[str, list[str]] = {}
            for name, field in self.fields.items():  # type: ignore[attr-defined]
                if field.read_only or name not in data or data[name] is None:
                    continue
                expected = _expected_type(field)
                if expected and not expected[1](data[name]):
                    label = field.label or name
                    errors[name] = [f"{label}的类型不正确，应为{expected[0]}"]
            if errors:
                raise ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]


def path_id(what: str, example: int) -> OpenApiParameter:
    """The ``id`` in an operation's path, documented with ``what`` and an example id
    (``fuxiang.api_examples``)."""
    return OpenApiParameter(
        "id",
        OpenApiTypes.INT,
        OpenApiParameter.PATH,
        description=f"{what}编号",
        examples=[OpenApiExample(f"{what}{example}", value=example)],
    )


def domain_error_response(error: DomainError, *, errors: dict[str, Any] | None = None) -> Response:
    """The response for a service's refusal; ``errors`` replaces ``error.errors`` when a view
    has re-keyed them (e.g. nested under the sub-object they belong to)."""
    if isinstance(error, NotFound):
        return Response({"detail": error.message}, status=status.HTTP_404_NOT_FOUND)
    body: dict[str, Any] = {"errors": errors if errors is not None else error.errors}
    body["code"] = error.code
    if isinstance(error, PermissionDenied):
        return Response({"detail": error.message, **body}, status=status.HTTP_403_FORBIDDEN)
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return domain_error_response(exc)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        response.data = {"errors": _keyed(response.data), "code": "invalid"}
    elif response is not None and isinstance(exc, ParseError):
        # a body that is not JSON is refused like any other bad input, not with {"detail"}
        response.data = {"errors": {_NON_FIELD_KEY: [str(exc.detail)]}, "code": "parse_error"}
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: under /api/ a JSON 404 like the API's own (a path no route matches, e.g.
    an id that is not a number); the back office's HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "未找到。"},
            status=status.HTTP_404_NOT_FOUND,
            json_dumps_params={"ensure_ascii": False},
        )
    return page_not_found(request, exception)


def _keyed(detail: Any) -> dict[str, Any]:
    if not isinstance(detail, dict):
        return {_NON_FIELD_KEY: detail if isinstance(detail, list) else [detail]}
    return {(_NON_FIELD_KEY if k == _DRF_NON_FIELD_KEY else k): v for k, v in detail.items()}
