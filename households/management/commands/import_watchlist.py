"""Import an official list file (失信被执行人, 犯罪记录, ...) from the command line, as head office
would through the back office, and print what was accepted and refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from fuxiang.errors import DomainError
from households import watchlists
from households.models import WatchlistKind


def as_of_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of 应写作 YYYY-MM-DD，而不是“{value}”") from exc


class Command(BaseCommand):
    help = "导入名单文件（.xlsx 或 UTF-8/GBK 编码的 .csv），并与已建档人员比对"

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = "、".join(f"{code}（{label}）" for code, label in WatchlistKind.choices)
        parser.add_argument("file", help="名单文件路径")
        parser.add_argument("--kind", required=True, help=f"名单类型：{kinds}")
        parser.add_argument("--source", required=True, help="名单来源，如“攸县人民法院”")
        parser.add_argument("--as-of", default="", help="比对日期 YYYY-MM-DD（默认今天）")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        as_of = as_of_date(options["as_of"]) if options["as_of"] else timezone.localdate()
        try:
            with path.open("rb") as stream:
                result = watchlists.watchlist_import(
                    actor=None,
                    system=True,
                    kind=options["kind"],
                    source=options["source"],
                    stream=stream,
                    filename=path.name,
                    as_of=as_of,
                )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"共 {result.total_rows} 行：新增 {result.created}，更新 {result.updated}，"
            f"无变化 {result.unchanged}，拒绝 {result.rejected_rows} 行"
        )
        for rejected in result.rejected:
            self.stdout.write(self.style.WARNING(rejected.message))
        recheck = result.recheck
        self.stdout.write(
            self.style.SUCCESS(
                f"比对完成：新匹配 {recheck['matched']}，解除 {recheck['cleared']}，"
                f"当前有效匹配 {recheck['active']}"
            )
        )
