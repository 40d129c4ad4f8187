"""Re-check watch-list matches now (the nightly Celery beat job does the same)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from households import watchlist_matching
from households.management.commands.import_watchlist import as_of_date


class Command(BaseCommand):
    help = "按比对日期重新比对名单：新建档人员补充匹配，已移出名单的解除匹配"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", default="", help="比对日期 YYYY-MM-DD（默认今天）")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = as_of_date(options["as_of"]) if options["as_of"] else timezone.localdate()
        counts = watchlist_matching.watchlists_recheck(as_of=as_of)
        self.stdout.write(
            self.style.SUCCESS(
                f"{as_of:%Y-%m-%d} 比对完成：新匹配 {counts['matched']}，"
                f"解除 {counts['cleared']}，当前有效匹配 {counts['active']}"
            )
        )
