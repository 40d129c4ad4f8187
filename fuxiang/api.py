"""How the API reports refusals: one body shape for every 400, whoever refused.

A service's ``DomainError`` and a serializer's ``ValidationError`` both become
``{"errors": {field: [messages]}, "code": ...}`` (400), so a client shows messages beside the
field they name the same way in both cases. ``NotFound`` is a 404 that looks the same whether
the row does not exist or is outside the user's scope; ``PermissionDenied`` is a 403.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from fuxiang.errors import DomainError, NotFound, PermissionDenied

# DRF's key for errors that belong to no field; the services and Django forms use "__all__".
_DRF_NON_FIELD_KEY = "non_field_errors"
_NON_FIELD_KEY = "__all__"


class ErrorSerializer(serializers.Serializer):
    """400 (and 403 from a service): messages keyed by field, "__all__" for the whole."""

    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    code = serializers.CharField()
    detail = serializers.CharField(required=False)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


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
    return response


def _keyed(detail: Any) -> dict[str, Any]:
    if not isinstance(detail, dict):
        return {_NON_FIELD_KEY: detail if isinstance(detail, list) else [detail]}
    return {(_NON_FIELD_KEY if k == _DRF_NON_FIELD_KEY else k): v for k, v in detail.items()}
