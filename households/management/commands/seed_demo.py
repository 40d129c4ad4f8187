"""Build a small demo county and print the logins (used by `make demo`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fuxiang.accounts.models import User
from households.management.commands.seed_county import progress_printer, report
from households.models import County
from households.synthetic import build_county, demo_plan


class Command(BaseCommand):
    help = "建立演示用的小型县域数据（乡镇、村、网格、员工、农户），并打印登录账号"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--households", type=int, default=400, help="建档农户数（默认400）")
        parser.add_argument("--seed", type=int, default=2026, help="随机种子（同一种子结果相同）")
        parser.add_argument(
            "--if-empty", action="store_true", help="数据库里已有县域数据时什么也不做"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if County.objects.filter(townships__isnull=False).exists():
            if options["if_empty"]:
                self.stdout.write("演示数据已存在，跳过生成。")
                self._print_existing_logins()
                return
            raise CommandError("数据库中已有县域数据；请使用空数据库，或加 --if-empty")
        plan = demo_plan(households=options["households"], seed=options["seed"])
        summary = build_county(plan, progress=progress_printer(self))
        report(self, summary, plan.password)

    def _print_existing_logins(self) -> None:

        self.stdout.write("\n演示账号：")
        for user in User.objects.order_by("role", "username"):
            self.stdout.write(f"  {user.username:<12} {user.get_role_display():<8}")
