from __future__ import annotations

from rest_framework import serializers

from fuxiang.api import JsonTypesMixin


class TokenObtainSerializer(JsonTypesMixin, serializers.Serializer):
    username = serializers.CharField(
        error_messages={"required": "用户名为必填项", "blank": "用户名为必填项"}
    )
    password = serializers.CharField(
        style={"input_type": "password"},
        trim_whitespace=False,
        error_messages={"required": "密码为必填项", "blank": "密码为必填项"},
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text="请求头 Authorization: Token <token>")
    expiry = serializers.DateTimeField(read_only=True, help_text="令牌失效时间")


class RevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(read_only=True, help_text="撤销的令牌个数")
