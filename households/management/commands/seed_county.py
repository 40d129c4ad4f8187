"""Build a full-size synthetic county (docs/design.md §5: 222,200 households) and print the
logins."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from households.models import County
from households.synthetic import CountyPlan, CountySummary, build_county


class Command(BaseCommand):
    help = "建立全县规模的合成数据（乡镇、村、网格、员工、农户、经营主体、名单），并打印登录账号"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--households", type=int, default=222_200, help="建档农户数")
        parser.add_argument("--seed", type=int, default=2026, help="随机种子（同一种子结果相同）")
        parser.add_argument("--county-code", default="430223", help="县行政区划代码（6位）")
        parser.add_argument("--county-name", default="攸县", help="县名")
        parser.add_argument(
            "--processes",
            type=int,
            default=None,
            help="并行生成的进程数（仅PostgreSQL；默认每核一个，结果与进程数无关）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["households"] < 1:
            raise CommandError("--households 应为正整数")
        if County.objects.filter(code=options["county_code"], townships__isnull=False).exists():
            raise CommandError(f"县 {options['county_code']} 已有数据；请使用空数据库")
        plan = CountyPlan(
            households=options["households"],
            seed=options["seed"],
            county_code=options["county_code"],
            county_name=options["county_name"],
            processes=options["processes"],
        )
        started = time.perf_counter()
        summary = build_county(plan, progress=progress_printer(self))
        report(self, summary, plan.password, seconds=time.perf_counter() - started)


def progress_printer(command: BaseCommand) -> Any:
    def progress(done: int, total: int) -> None:
        line = f"\r生成农户档案 {done}/{total} ({done * 100 // total}%)"
        command.stdout.write(line, ending="\n" if done >= total else "")
        command.stdout.flush()

    return progress


def report(
    command: BaseCommand, summary: CountySummary, password: str, seconds: float | None = None
) -> None:
    """The summary line, any notes, and the logins (shared with ``seed_demo``)."""
    command.stdout.write("")
    coverage = (
        summary.households / summary.registered_households if summary.registered_households else 0
    )
    command.stdout.write(
        command.style.SUCCESS(
            f"已生成：{summary.townships}个乡镇、{summary.villages}个村（户籍{summary.registered_households}户，"
            f"建档覆盖率{coverage:.1%}）、{summary.households}户、{summary.members}人、"
            f"{summary.entities}个经营主体、{summary.watchlist_entries}条名单"
            + (
                f"（匹配{summary.watchlist_matches}人）"
                if summary.watchlist_matches is not None
                else ""
            )
            + (f"，用时{seconds:.1f}秒" if seconds is not None else "")
        )
    )
    for note in summary.notes:
        command.stdout.write(command.style.WARNING(note))
    command.stdout.write(f"\n登录账号（密码均为 {password}）：")
    for username, role, scope in summary.logins:
        command.stdout.write(f"  {username:<12} {role:<8} {scope}")
