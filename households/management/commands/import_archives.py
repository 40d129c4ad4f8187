"""Import households (with members), enterprises or agricultural entities from .xlsx/.csv."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fuxiang.accounts.models import User
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from households.imports import SpreadsheetError, import_file, write_report
from households.models import ImportKind


class Command(BaseCommand):
    help = "从 .xlsx 或 .csv 导入农户（含家庭成员）、小微企业或新型农业经营主体档案"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="要导入的文件（.xlsx，或 UTF-8/GBK 编码的 .csv）")
        parser.add_argument(
            "--kind", choices=ImportKind.values, default=ImportKind.HOUSEHOLDS, help="导入类型"
        )
        parser.add_argument("--dry-run", action="store_true", help="只校验、统计，不写入")
        parser.add_argument("--report", help="把被拒绝的行写入此 .xlsx（可修改后重新导入）")
        parser.add_argument("--user", help="以此员工的身份和权限范围导入（默认：系统，全县范围）")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件 {path}")
        actor = None
        if options["user"]:
            try:
                actor = User.objects.get(username=options["user"], is_active=True)
            except User.DoesNotExist as exc:
                raise CommandError(f"没有启用的员工账号 {options['user']}") from exc
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            percent = done * 100 // total if total else 100
            self.stdout.write(f"\r导入中 {done}/{total} 行 ({percent}%)", ending="")
            self.stdout.flush()

        try:
            with path.open("rb") as stream:
                result = import_file(
                    stream=stream,
                    filename=path.name,
                    kind=options["kind"],
                    actor=actor,
                    dry_run=options["dry_run"],
                    progress=progress,
                )
        except SpreadsheetError as problem:
            raise CommandError(str(problem)) from problem
        # the same event as an import from the back office, with who ran it from the shell
        audit_record(
            action=AuditAction.IMPORT,
            actor=actor,
            actor_label="" if actor else "manage.py",
            target_label=path.name[:200],
            details={
                "import": result.summary(),
                "dry_run": options["dry_run"],
                "kind": options["kind"],
                "via": "command",
            },
        )
        self.stdout.write("")
        prefix = "【仅校验，未写入】" if options["dry_run"] else ""
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"{prefix}{result.summary()}（用时{elapsed:.1f}秒）"))
        for error in result.errors[:50]:
            self.stdout.write(f"  {error}")
        if len(result.errors) > 50:
            self.stdout.write(f"  ……另有{len(result.errors) - 50}条错误，见报告")
        if options["report"] and result.rejected:
            with Path(options["report"]).open("wb") as out:
                write_report(result, out)
            self.stdout.write(f"错误报告已写入 {options['report']}")
