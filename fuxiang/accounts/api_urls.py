"""Routes of API sign-in, mounted at /api/v1/auth/."""

from __future__ import annotations

from django.urls import path

from fuxiang.accounts import api

app_name = "auth_api"

urlpatterns = [
    path("token/", api.TokenObtainApi.as_view(), name="token"),
    path("logout/", api.LogoutApi.as_view(), name="logout"),
    path("logout-all/", api.LogoutAllApi.as_view(), name="logout_all"),
    path("users/<int:pk>/revoke-tokens/", api.UserTokensRevokeApi.as_view(), name="user_revoke"),
]
