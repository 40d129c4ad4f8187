"""Where loans joins the work of the apps to its left: a rating publish and a change of line
status both queue a whitelist build (after their commit, on a worker)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from credit.signals import lines_changed
from loans.tasks import rebuild_whitelists, rebuild_whitelists_for_run
from rating import hooks


def whitelists_for_publish(run: Any) -> None:

    run_id = run.pk
    transaction.on_commit(lambda: rebuild_whitelists_for_run.delay(run_id=run_id))


def whitelists_follow_lines(
    sender: Any,
    household_ids: list[int],
    entity_ids: list[int],
    everything: bool,
    reason: str,
    **kwargs: Any,
) -> None:

    rebuild_whitelists.delay(
        scope={"everything": everything, "household_ids": household_ids, "entity_ids": entity_ids},
        reason=f"授信额度变更（{reason}）",
    )


def connect() -> None:
    hooks.register(whitelists_for_publish)
    lines_changed.connect(whitelists_follow_lines, dispatch_uid="loans.whitelists_follow_lines")
