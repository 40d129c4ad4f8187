"""Signing in to the API with a token and out again (django-rest-knox tokens: hashed,
expiring). Obtaining a token goes through ``authenticate`` so django-axes counts failures and
locks the user name for the client's address exactly like the login page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, get_user_model, user_logged_in
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fuxiang.accounts import roles, tokens
from fuxiang.accounts.serializers import RevokedSerializer, TokenObtainSerializer, TokenSerializer
from fuxiang.api import DetailSerializer, ErrorSerializer
from fuxiang.audit import AuditContext
from fuxiang.errors import NotFound
from fuxiang.formatting import format_duration


def locked_out_message(request: Any) -> str:
    from axes.helpers import get_cool_off

    wait = format_duration(get_cool_off(request)) or "稍后"
    return f"登录失败次数过多，账号已被锁定，请{wait}后再试或联系总行管理员"


class RevokesApiTokens(BasePermission):
    message = "只有总行管理员可以撤销其他员工的API令牌"

    def has_permission(self, request: Request, view: APIView) -> bool:
        return roles.can_revoke_api_tokens(request.user)


class TokenObtainApi(APIView):
    """Exchange a user name and password for an API token that expires (``expiry``)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    # a sign-in form may post form-encoded fields too
    parser_classes = (JSONParser, FormParser, MultiPartParser)

    @extend_schema(
        request=TokenObtainSerializer,
        responses={
            200: TokenSerializer,
            400: ErrorSerializer,
            429: OpenApiResponse(DetailSerializer, description="失败次数过多，账号已锁定"),
        },
        examples=[
            OpenApiExample(
                "客户经理登录",
                request_only=True,
                value={"username": "officer_a", "password": "您的密码"},
            )
        ],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenObtainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request=request, **serializer.validated_data)
        if getattr(request, "axes_locked_out", False):
            return Response(
                {"detail": locked_out_message(request)}, status=status.HTTP_429_TOO_MANY_REQUESTS
            )
        if user is None:
            raise ValidationError({"__all__": ["用户名或密码不正确"]})
        instance, token = tokens.api_token_create(user=user)
        # A token is a sign-in: record it, reset axes' failure count, update last_login.
        user_logged_in.send(sender=type(user), request=request, user=user)
        return Response(TokenSerializer({"token": token, "expiry": instance.expiry}).data)


class LogoutApi(APIView):
    """Revoke the token this request was made with; the user's other tokens keep working."""

    authentication_classes = (TokenAuthentication,)

    @extend_schema(request=None, responses={204: None, 401: DetailSerializer})
    def post(self, request: Request) -> Response:
        token: AuthToken = request.auth
        tokens.api_token_revoke(token=token, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllApi(APIView):
    """Revoke every API token of the signed-in user (with a token or in the browser)."""

    @extend_schema(request=None, responses={200: RevokedSerializer, 401: DetailSerializer})
    def post(self, request: Request) -> Response:
        count = tokens.api_tokens_revoke(
            user=request.user,
            reason=tokens.RevokeReason.LOGOUT_ALL,
            actor=request.user,
            audit=AuditContext.from_request(request),
        )
        return Response(RevokedSerializer({"revoked": count}).data)


class UserTokensRevokeApi(APIView):
    """Head office revokes every API token of a member of staff."""

    permission_classes = (RevokesApiTokens,)

    @extend_schema(
        request=None,
        responses={200: RevokedSerializer, 403: DetailSerializer, 404: DetailSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        user: Any = get_user_model().objects.filter(pk=pk).first()
        if user is None:
            raise NotFound()
        count = tokens.api_tokens_revoke(
            user=user,
            reason=tokens.RevokeReason.HEAD_OFFICE,
            actor=request.user,
            audit=AuditContext.from_request(request),
        )
        return Response(RevokedSerializer({"revoked": count}).data)
