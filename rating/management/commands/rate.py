"""Start a rating run from the command line and follow it with a progress line, or resume a
run whose queued tasks were lost (``--resume RUN_ID``).

With eager Celery (development: no broker) the chunks run in this process, one village after
another; with a broker they are queued to the workers and this command polls the run.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fuxiang.celery import app
from fuxiang.errors import DomainError
from households.models import Grid, Township, Village
from rating import runs
from rating.models import RatingChunk, RatingRun, RunScope, RunStatus, SubjectKind

FINISHED = (RunStatus.PUBLISHED, RunStatus.FAILED, RunStatus.CANCELLED)
MODELS = {RunScope.TOWNSHIP: Township, RunScope.GRID: Grid, RunScope.VILLAGE: Village}


def progress_line(run: RatingRun) -> str:
    """A one-line status for the command line."""
    return (
        f"评级任务#{run.pk} {run.get_status_display()} "
        f"{run.chunks_done}/{run.chunks_total}个村（{run.progress:.0%}）"
    )


def _kind_label(kind: str) -> str:
    return str(SubjectKind(kind).label) if kind in SubjectKind.values else kind


def _grade_order(item: tuple[str, int]) -> tuple[int, str]:
    """AAA, AA, A first (more letters first), then B and the rest."""
    grade = item[0]
    return (-grade.count("A"), grade)


class Command(BaseCommand):
    help = "发起评级任务（全县、乡镇、网格或村）并显示进度；或用 --resume 恢复未完成的任务"

    def add_arguments(self, parser: Any) -> None:
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--scope", choices=["county", "township", "grid", "village"])
        what.add_argument(
            "--resume",
            type=int,
            metavar="RUN_ID",
            help="重新排队进行中的评级任务尚未完成的分片（或其发布），用于消息丢失后",
        )
        parser.add_argument("--code", default="", help="乡镇/网格/村的代码，多个用逗号分隔")
        parser.add_argument(
            "--as-of",
            default="",
            help="评级基准日 YYYY-MM-DD（默认今天；正式评级只能是今天或此前几天内，"
            "不早于该范围上次评级的基准日，且须有生效的授信政策）",
        )
        parser.add_argument("--timeout", type=float, default=3600, help="等待任务完成的秒数")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["resume"] is not None:
            self._resume(options["resume"])
            return
        scope = options["scope"]
        try:
            as_of = date.fromisoformat(options["as_of"]) if options["as_of"] else None
        except ValueError as exc:
            raise CommandError("--as-of 应为 YYYY-MM-DD") from exc
        scope_ids = self._scope_ids(scope, options["code"])
        eager = bool(app.conf.task_always_eager)
        started = time.perf_counter()
        try:
            run = runs.rating_run_start(
                actor=None,
                scope=scope,
                as_of=as_of or timezone.localdate(),
                scope_ids=scope_ids,
                dispatch=not eager,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if eager:
            chunk_ids = list(RatingChunk.objects.filter(run=run).values_list("pk", flat=True))
            for chunk_id in chunk_ids:
                try:
                    runs.rating_chunk_run(chunk_id=chunk_id, queue_publish=False)
                except Exception as exc:
                    runs.rating_chunk_give_up(chunk_id=chunk_id, error=f"{exc}")
                    raise CommandError(f"评级任务#{run.pk}失败：{exc}") from exc
                run.refresh_from_db()
                self._progress(run)
            if run.status == RunStatus.PUBLISHING:
                run = runs.rating_run_publish(run_id=run.pk)
        else:
            deadline = time.monotonic() + options["timeout"]
            while run.status not in FINISHED:
                if time.monotonic() > deadline:
                    raise CommandError(f"等待超时：{progress_line(run)}")
                time.sleep(0.5)
                run.refresh_from_db()
                self._progress(run)
        run.refresh_from_db()
        self.stdout.write("")
        seconds = time.perf_counter() - started
        self._report(run, seconds)

    def _resume(self, run_id: int) -> None:
        run = RatingRun.objects.filter(pk=run_id).first()
        if run is None:
            raise CommandError(f"找不到评级任务#{run_id}")
        if not run.is_active:
            raise CommandError(
                f"评级任务#{run_id}当前状态为“{run.get_status_display()}”，不是进行中的任务，无需恢复"
            )
        publishing = run.status == RunStatus.PUBLISHING
        queued = runs.rating_run_resume(run_id=run_id)
        if publishing:
            self.stdout.write(f"已重新排队评级任务#{run_id}的发布")
        else:
            self.stdout.write(f"已重新排队评级任务#{run_id}未完成的{queued}个村（分片）")
        run.refresh_from_db()
        self.stdout.write(progress_line(run))

    def _scope_ids(self, scope: str, codes: str) -> list[int]:
        if scope == RunScope.COUNTY:
            return []
        wanted = [c.strip() for c in codes.split(",") if c.strip()]
        if not wanted:
            raise CommandError(f"--scope {scope} 需要 --code")
        model = MODELS[RunScope(scope)]
        found = dict(model._default_manager.filter(code__in=wanted).values_list("code", "pk"))
        missing = [c for c in wanted if c not in found]
        if missing:
            raise CommandError(f"找不到代码：{'、'.join(missing)}")
        return list(found.values())

    def _progress(self, run: RatingRun) -> None:
        self.stdout.write(f"\r{progress_line(run)}", ending="")
        self.stdout.flush()

    def _report(self, run: RatingRun, seconds: float) -> None:
        if run.status != RunStatus.PUBLISHED:
            raise CommandError(f"评级任务#{run.pk}{run.get_status_display()}：{run.error}")
        grades = "；".join(
            f"{_kind_label(kind)} "
            + "，".join(f"{g}级{n}个" for g, n in sorted(counts.items(), key=_grade_order))
            for kind, counts in run.grade_counts.items()
        )
        self.stdout.write("")  # end the progress line
        self.stdout.write(
            self.style.SUCCESS(
                f"评级任务#{run.pk}已发布：评级{run.rated}个对象（未评级{run.skipped}户，"
                f"一票否决{run.knocked_out}，档案不完整{run.incomplete}），用时{seconds:.1f}秒"
            )
        )
        self.stdout.write(f"等级分布：{grades}")
