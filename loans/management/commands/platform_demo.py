"""The loan platform's round trip on this machine, for a newcomer (``make demo`` runs it):
the county system is served on a free local port, the fake platform (``loans.platform.fake``)
on another; the whitelist is pushed to the fake (signed), the fake pulls it page by page, a
whitelisted household applies, signs and draws on the fake platform, the events come back
signed and land in the ledger; the line's available amount and the county's figures move; a
balance the platform reports differently shows up in the reconciliation. Safe to run again
(each run is a new borrower's journey while someone is still available)."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.core.management.base import BaseCommand
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone

from households.models import Member
from loans.borrowers import Borrower, available
from loans.models import CreditExposure, LoanApplication, LoanProduct, Platform
from loans.platform import deliveries, reconciliation
from loans.platform.fake import FakePlatform

PRODUCT = "fuxiang_e_loan"


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class Command(BaseCommand):
    help = "演示与线上贷款平台的往返（本机模拟平台）"

    def handle(self, *args: Any, **options: Any) -> None:
        out = self.stdout.write
        server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=_Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base_url = f"http://127.0.0.1:{server.server_address[1]}"
        fake = FakePlatform(code="demo", secret="", base_url=base_url).start()
        try:
            self._round_trip(out, fake)
        finally:
            fake.stop()
            server.shutdown()
            close_old_connections()

    def _round_trip(self, out: Any, fake: FakePlatform) -> None:
        product = LoanProduct.objects.get(code=PRODUCT)
        platform = Platform.objects.filter(code=fake.code).first()
        if platform is None:
            platform, fake.token, fake.secret = deliveries.platform_register(
                actor=None,
                code=fake.code,
                name="省联社线上贷款平台（本机模拟）",
                products=[product],
                webhook_url=fake.webhook_url,
            )
        else:
            fake.token, fake.secret = deliveries.platform_credentials_reset(
                actor=None, platform=platform
            )
            platform.webhook_url = fake.webhook_url
            platform.save(update_fields=["webhook_url"])
        out("线上贷款平台往返演示")

        delivery = deliveries.delivery_push_create(platform=platform, product=product, full=True)
        if delivery is not None:
            delivery.refresh_from_db()
            out(
                f"  1 推送白名单 v{delivery.version}：{delivery.rows} 户，"
                f"{delivery.get_status_display()}"
                f"（HMAC签名，幂等键 {delivery.idempotency_key[:8]}…）"
            )
        page = fake.pull(PRODUCT, limit=200)
        out(f"  2 平台分页拉取白名单 v{page['version']}：{len(page['entries'])} 户，每页验签通过")

        today = timezone.localdate()
        for row in page["entries"]:
            if row["subject_type"] != "household" or Decimal(row["amount"]) < Decimal("50000"):
                continue
            borrower = self._borrower(row)
            if borrower is None:
                continue
            line = borrower.line()
            exposure = CreditExposure.objects.filter(**borrower.fields).first()
            before = available(line, exposure.in_use if exposure else Decimal(0), today)
            if (
                before < Decimal("50000")
                or LoanApplication.objects.filter(
                    **borrower.fields, product=product, status__in=["submitted", "approved"]
                ).exists()
            ):
                continue
            break
        else:
            out("  （白名单上已没有可用额度≥5万元的农户，演示结束）")
            return
        out(f"  3 平台上客户（{row['name_masked']}，{row['id_masked']}）可用额度 {before:,.2f} 元")
        steps = dict(fake.journey(row, PRODUCT, "50000", term_months=12, method="equal_instalment"))
        for step, label in (("application", "申请"), ("contract", "签约"), ("drawdown", "放款")):
            answer = steps[step].json()
            out(f"    回传{label}事件：{answer['outcome']} {answer['message']} {answer['result']}")
        replay = fake.resend(steps["drawdown"])
        out(f"    同一放款事件重放：{replay.json()['outcome']}（未重复入账）")
        exposure = CreditExposure.objects.get(**borrower.fields)
        after = available(borrower.line(), exposure.in_use, today)
        out(f"  4 本行账面：贷款余额 {exposure.outstanding:,.2f} 元，可用额度 {after:,.2f} 元")

        contract_no = json.loads(steps["contract"].request.body or b"{}")["data"]["contract_no"]
        fake.send_event(
            "balance",
            {"contract_no": contract_no, "principal_outstanding": "49000", "as_of": str(today)},
        )
        run = reconciliation.reconcile(platform=platform)
        out(
            f"  5 对账：比对 {run.contracts} 笔合同，一致 {run.matched}，差异 {run.differences}"
            "（平台报余额49,000元，不改本行账面，待总行处理）"
        )
        out(
            "  6 统计看板随放款事件刷新（ledger_changed）。"
            "总行登录后查看：/loans/platform/（交付、回传事件、对账差异）"
        )

    @staticmethod
    def _borrower(row: dict[str, Any]) -> Borrower | None:
        member = Member.objects.filter(relation="head", id_number_index=row["subject_ref"]).first()
        return Borrower(household_id=member.household_id) if member else None
