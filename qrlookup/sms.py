"""Sending the verification SMS through the backend chosen by ``QRLOOKUP_SMS_BACKEND``.

- ``outbox`` (development, demo, tests): the message is stored in ``SmsOutboxMessage`` with the
  number masked and blind-indexed; staff read it at /qrlookup/outbox/.
- ``tencent``: Tencent Cloud SMS (``SendSms``, API 2021-01-11) through its SDK, which signs the
  request (TC3-HMAC-SHA256) and posts it over HTTPS with ``requests``.

A backend gets the phone number in clear — decrypted by the caller just before — and must
neither log nor keep it."""

from __future__ import annotations

import json
import logging
from typing import Protocol

from django.conf import settings

from fuxiang.masking import mask_phone
from households.services import phone_index
from qrlookup.models import SmsOutboxMessage

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The provider did not accept the message (the text says why, without the number)."""


class SmsBackend(Protocol):
    def send_code(self, *, phone: str, code: str, minutes: int) -> None: ...

    def send_text(
        self, *, phone: str, text: str, template: str = "", params: list[str] | None = None
    ) -> None: ...


def code_text(code: str, minutes: int) -> str:
    return (
        f"【{settings.QRLOOKUP_BANK_NAME}】您的查询验证码为{code}，{minutes}分钟内有效。"
        "如非本人操作，请忽略本短信。"
    )


OUTBOX_REFUSED = (
    "短信发件箱仅用于开发和演示环境（DEBUG），不能在生产环境使用："
    "请配置短信服务（QRLOOKUP_SMS_BACKEND=tencent）"
)


class OutboxBackend:
    """Keeps the message in a table instead of sending it — development and demo only: with
    DEBUG off (``SMS_OUTBOX_USABLE``) it refuses, so no code sits readable in the database."""

    def send_code(self, *, phone: str, code: str, minutes: int) -> None:
        self.send_text(phone=phone, text=code_text(code, minutes))

    def send_text(
        self, *, phone: str, text: str, template: str = "", params: list[str] | None = None
    ) -> None:
        if not settings.SMS_OUTBOX_USABLE:
            raise SmsError(OUTBOX_REFUSED)
        SmsOutboxMessage.objects.create(
            phone_index=phone_index(phone),
            phone_masked=mask_phone(phone),
            text=text,
        )


class TencentBackend:
    """Tencent Cloud SMS. The lookup's template (approved in the Tencent console) takes two
    parameters: the code and its validity in minutes; the loan notices' templates are named in
    ``TENCENT_SMS_LOAN_TEMPLATES``."""

    def send_code(self, *, phone: str, code: str, minutes: int) -> None:
        self.send_template(
            phone=phone, template_id=settings.TENCENT_SMS_TEMPLATE_ID, params=[code, str(minutes)]
        )

    def send_text(
        self, *, phone: str, text: str, template: str = "", params: list[str] | None = None
    ) -> None:
        template_id = settings.TENCENT_SMS_LOAN_TEMPLATES.get(template, "")
        if not template_id:
            raise SmsError(f"未配置短信模板：{template}（TENCENT_SMS_LOAN_TEMPLATES）")
        self.send_template(phone=phone, template_id=template_id, params=params or [])

    def send_template(self, *, phone: str, template_id: str, params: list[str]) -> None:
        from tencentcloud.common import credential
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import models, sms_client

        http = HttpProfile(endpoint=settings.TENCENT_SMS_ENDPOINT, reqTimeout=10)
        client = sms_client.SmsClient(
            credential.Credential(settings.TENCENT_SMS_SECRET_ID, settings.TENCENT_SMS_SECRET_KEY),
            settings.TENCENT_SMS_REGION,
            ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http),
        )
        request = models.SendSmsRequest()
        request.from_json_string(
            json.dumps(
                {
                    "PhoneNumberSet": [f"+86{phone}"],
                    "SmsSdkAppId": settings.TENCENT_SMS_SDK_APP_ID,
                    "SignName": settings.TENCENT_SMS_SIGN_NAME,
                    "TemplateId": template_id,
                    "TemplateParamSet": params,
                }
            )
        )
        try:
            response = client.SendSms(request)
        except TencentCloudSDKException as exc:
            # the SDK's message may echo the request: keep only its code
            raise SmsError(f"腾讯云短信接口错误：{exc.get_code()}") from None
        statuses = response.SendStatusSet or []
        if not statuses or statuses[0].Code != "Ok":
            code_name = statuses[0].Code if statuses else "NoStatus"
            raise SmsError(f"腾讯云短信未发送：{code_name}")


def send_notice(*, phone: str, template: str, text: str, params: list[str]) -> None:
    """Loans' notices and signing codes (registered with ``loans.notices``): the outbox keeps
    the text under the bank's sign; Tencent sends the named template with its parameters."""
    chosen = backend()
    if isinstance(chosen, TencentBackend):
        chosen.send_text(phone=phone, text=text, template=template, params=params)
    else:
        chosen.send_text(phone=phone, text=f"【{settings.QRLOOKUP_BANK_NAME}】{text}")


def backend() -> SmsBackend:
    if settings.QRLOOKUP_SMS_BACKEND == "tencent":
        return TencentBackend()
    return OutboxBackend()
