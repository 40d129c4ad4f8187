"""Build a small demo county and print the logins (used by `make demo`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from households.models import County
from households.synthetic import CountyPlan, build_county


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
                self._print_logins(None)
                return
            raise CommandError("数据库中已有县域数据；请使用空数据库，或加 --if-empty")
        plan = CountyPlan(
            households=options["households"],
            seed=options["seed"],
            townships=2,
            villages=6,
            villages_per_grid=2,
        )

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"\r生成农户档案 {done}/{total} ({done * 100 // total}%)", ending="")
            self.stdout.flush()

        summary = build_county(plan, progress=progress)
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成：{summary.townships}个乡镇、{summary.villages}个村、"
                f"{summary.households}户、{summary.members}人、{summary.entities}个经营主体"
            )
        )
        self._print_logins(summary.logins, password=plan.password)

    def _print_logins(self, logins: list[tuple[str, str, str]] | None, password: str = "") -> None:
        from fuxiang.accounts.models import User

        if logins is None:
            logins = [
                (u.username, u.get_role_display(), "")
                for u in User.objects.order_by("role", "username")
            ]
        self.stdout.write("\n演示账号" + (f"（密码均为 {password}）" if password else "") + "：")
        for username, role, scope in logins:
            self.stdout.write(f"  {username:<12} {role:<8} {scope}")
