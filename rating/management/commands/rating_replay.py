"""Rebuild stored rating results from the archive history and show every difference
(``rating.replay``): ``rating_replay RESULT_ID [RESULT_ID …]`` or ``rating_replay --run RUN_ID
--sample N``. Exits 1 when any result differs or cannot be rebuilt, 0 when all are identical.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rating import replay
from rating.models import RatingRun


class Command(BaseCommand):
    help = "按评级当时的档案、评分卡重建评级结果并列出差异（有差异时退出码为1）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("result_ids", nargs="*", type=int, metavar="RESULT_ID")
        parser.add_argument("--run", type=int, metavar="RUN_ID", help="随机抽取该任务的结果")
        parser.add_argument("--sample", type=int, default=0, metavar="N", help="抽取的结果数")
        parser.add_argument("--seed", type=int, default=None, help="抽样随机种子（可复现）")
        parser.add_argument("--quiet", action="store_true", help="只列出有差异的结果和汇总")

    def handle(self, *args: Any, **options: Any) -> None:
        ids = list(options["result_ids"])
        if options["run"] is not None:
            if not RatingRun.objects.filter(pk=options["run"]).exists():
                raise CommandError(f"评级任务#{options['run']}不存在")
            if options["sample"] < 1:
                raise CommandError("--run 需要 --sample N（N为正整数）")
            ids += replay.results_sample(
                run_id=options["run"], n=options["sample"], seed=options["seed"]
            )
        elif options["sample"]:
            raise CommandError("--sample 需要 --run RUN_ID")
        if not ids:
            raise CommandError("请给出评级结果编号，或 --run RUN_ID --sample N")
        try:
            replays = replay.results_replay(result_ids=sorted(set(ids)))
        except replay.ReplayUnavailable as exc:
            raise CommandError(str(exc)) from exc
        differing = 0
        for item in replays:
            if not item.identical:
                differing += 1
            elif options["quiet"]:
                continue
            self._show(item)
        total = len(replays)
        summary = f"重建{total}条评级结果：{total - differing}条一致，{differing}条不一致"
        if differing:
            self.stdout.write(self.style.ERROR(summary))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(summary))

    def _show(self, item: replay.Replay) -> None:
        head = (
            f"结果#{item.result_id}（任务#{item.run_id}，{item.subject}，评分卡{item.card_version}，"
            f"{item.stored_grade} {item.stored_score}分）"
        )
        if item.problem:
            self.stdout.write(self.style.ERROR(f"{head}：无法重建——{item.problem}"))
        elif item.differences:
            self.stdout.write(self.style.ERROR(f"{head}：{len(item.differences)}处不一致"))
            for d in item.differences:
                self.stdout.write(f"    {d.what}：存储 {d.stored} → 重建 {d.rebuilt}")
        else:
            self.stdout.write(f"{head}：一致")
        for note in item.notes:
            self.stdout.write(self.style.WARNING(f"    注：{note}"))
