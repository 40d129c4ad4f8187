"""Make a QR code for every village that has none, and print a lookup URL to try (`make demo`).

With DEBUG on (the demo's synthetic county) it also prints the name and ID number of a
household head with a credit line, so a newcomer can walk the whole flow: the SMS code
appears at /qrlookup/outbox/ for any signed-in member of staff."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from credit.selectors import current_lines
from fuxiang import crypto
from households.models import Member, Relation, Village
from households.services import ID_COLUMN
from qrlookup.engine.codes import new_token
from qrlookup.models import OfficerContact, QrCode, QrCodeKind
from qrlookup.qrcode_selectors import grid_officer


class Command(BaseCommand):
    help = "为尚无二维码的村生成码上查二维码，并打印一个可以打开的查询地址"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="二维码指向的网站地址"
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        made = 0
        for village in Village.objects.filter(grid__isnull=False).exclude(
            qr_codes__revoked_at__isnull=True, qr_codes__kind=QrCodeKind.VILLAGE
        ):
            QrCode.objects.create(
                token=new_token(),
                kind=QrCodeKind.VILLAGE,
                village=village,
                grid_id=village.grid_id,
                officer=grid_officer(village.grid_id),
            )
            made += 1
        for number, code in enumerate(QrCode.objects.filter(officer__isnull=False), start=1):
            OfficerContact.objects.get_or_create(
                officer=code.officer, defaults={"phone": f"1390733{number:04d}"}
            )
        self.stdout.write(f"码上查二维码：新生成 {made} 个，共 {QrCode.objects.count()} 个。")
        example = self._example()
        if example is None:
            return
        code, member = example
        base = (settings.QRLOOKUP_PUBLIC_BASE_URL or options["base_url"]).rstrip("/")
        self.stdout.write(f"\n码上查（手机打开，或浏览器缩窄窗口）：{base}/q/{code.token}")
        if settings.DEBUG:  # synthetic demo data only
            id_number = crypto.decrypt(member.id_number_encrypted, column=ID_COLUMN)
            self.stdout.write(f"  演示身份：{member.name}  {id_number}")
            self.stdout.write(
                f"  短信验证码：登录后台后打开 {base}/qrlookup/outbox/ 查看（演示环境不发真实短信）"
            )

    def _example(self) -> tuple[QrCode, Member] | None:
        lines = current_lines().filter(household__isnull=False, status="active")
        member = (
            Member.objects.filter(
                relation=Relation.HEAD,
                household_id__in=lines.values("household_id"),
            )
            .exclude(phone_encrypted="")
            .select_related("household__village")
            .order_by("household__village__code", "pk")
            .first()
        )
        if member is None:
            return None
        code = QrCode.objects.filter(
            village=member.household.village, revoked_at__isnull=True
        ).first()
        return (code, member) if code else None
