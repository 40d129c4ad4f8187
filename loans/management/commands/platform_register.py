"""Register a loan platform: ``manage.py platform_register CODE NAME --products a,b
[--webhook URL]``. Prints the pull token and the signing secret once (only the token's
SHA-256 and the encrypted secret are kept); ``--reset`` gives an existing platform new ones."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fuxiang.errors import DomainError
from loans.models import LoanProduct, Platform
from loans.platform import deliveries


class Command(BaseCommand):
    help = "登记线上贷款平台（打印一次拉取令牌与签名密钥）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("code")
        parser.add_argument("name", nargs="?", default="")
        parser.add_argument("--products", default="", help="产品代码，逗号分隔（默认全部线上产品）")
        parser.add_argument("--webhook", default="", help="推送地址（https://…）")
        parser.add_argument("--reset", action="store_true", help="为已登记的平台重置令牌与密钥")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reset"]:
            platform = Platform.objects.filter(code=options["code"]).first()
            if platform is None:
                raise CommandError("未登记该平台")
            token, secret = deliveries.platform_credentials_reset(actor=None, platform=platform)
        else:
            codes = [c for c in options["products"].split(",") if c]
            products = list(
                LoanProduct.objects.filter(code__in=codes)
                if codes
                else LoanProduct.objects.exclude(code="mortgage_loan")
            )
            if codes and len(products) != len(codes):
                raise CommandError("有产品代码不存在")
            try:
                platform, token, secret = deliveries.platform_register(
                    actor=None,
                    code=options["code"],
                    name=options["name"] or options["code"],
                    products=products,
                    webhook_url=options["webhook"],
                )
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        self.stdout.write(f"平台 {platform.name}（{platform.code}）")
        self.stdout.write(f"拉取令牌（Authorization: Bearer …，只显示这一次）：{token}")
        self.stdout.write(f"签名密钥（HMAC-SHA256，只显示这一次）：{secret}")
