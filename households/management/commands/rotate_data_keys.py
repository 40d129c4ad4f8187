"""Re-encrypt stored ID and phone numbers with the active data key (FUXIANG_DATA_KEY_ID)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from fuxiang import crypto
from households import services, tasks
from households.models import BusinessEntity, Member, WatchlistEntry


class Command(BaseCommand):
    help = "用当前数据密钥重新加密全部身份证号和手机号（密钥轮换）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--queue", action="store_true", help="交给 Celery worker 在后台执行，本命令立即返回"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        active = crypto.keyring().active_id
        if options["queue"]:
            result = tasks.rotate_data_keys.delay()
            self.stdout.write(f"已提交后台任务 {result.id}（当前密钥 {active}）")
            return
        total = (
            Member.objects.count() * 2
            + BusinessEntity.objects.count()
            + WatchlistEntry.objects.count()
        )

        def progress(visited: int) -> None:
            percent = visited * 100 // total if total else 100
            self.stdout.write(f"\r已检查 {visited}/{total} 项 ({percent}%)", ending="")
            self.stdout.flush()

        rotated = services.personal_data_rotate_keys(progress=progress)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"完成：{rotated} 项已改用密钥 {active} 加密"))
