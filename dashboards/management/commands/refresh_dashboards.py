"""Recompute the dashboards' summaries now (beat does it every few minutes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dashboards.figures import figures_refresh


class Command(BaseCommand):
    help = "立即统计看板数据（农户进度、村汇总、周工作量）；平时由定时任务每10分钟统计一次"

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(step: str, done: int, total: int) -> None:
            line = f"\r统计看板 {done}/{total} {step}"
            self.stdout.write(f"{line:<40}", ending="\n" if done >= total else "")
            self.stdout.flush()

        result = figures_refresh(progress=progress)
        steps = "，".join(f"{name}{seconds:.2f}秒" for name, seconds in result.seconds.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"已统计：{result.households}户、{result.villages}个村，用时{result.total_seconds:.2f}秒（{steps}）"
            )
        )
