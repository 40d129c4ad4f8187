"""The Celery app. Eager (in-process) when CELERY_BROKER_URL is unset or
CELERY_TASK_ALWAYS_EAGER=1 (`make demo`'s setup, which then runs a real worker on kombu's
filesystem broker: ``fuxiang.demo``)."""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from celery import Celery, Task
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fuxiang.settings")

logger = logging.getLogger(__name__)

app = Celery("fuxiang")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Celery's Django fix-up closes every database connection before and after each task unless
# told to reuse them. A new PostgreSQL backend per task (fork, log-in, cold catalogue caches
# that the next statement's planning must fill again) cost a county rating run more database
# time than its credit lines. So the fix-up only recycles connections every few thousand tasks,
# and between tasks a worker treats its connections as Django treats them between requests:
# closed once older than CONN_MAX_AGE, or when broken.
app.conf.update(CELERY_DB_REUSE_MAX=5000)


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(task: Task | None = None, **kwargs: Any) -> None:
    if task is None or task.request.is_eager:
        return  # an eager task runs in its caller's request and transaction

    close_old_connections()


# --- monitoring (fuxiang.monitoring) ------------------------------------------------------------
_started: dict[str, float] = {}


@task_prerun.connect
def _task_started(task_id: str | None = None, task: Task | None = None, **kwargs: Any) -> None:
    if task_id and task is not None and not task.request.is_eager:
        _started[task_id] = time.monotonic()


@task_postrun.connect
def _task_finished(
    task_id: str | None = None, task: Task | None = None, state: str | None = None, **kwargs: Any
) -> None:
    started = _started.pop(task_id or "", None)
    if started is None or task is None:
        return
    from fuxiang.monitoring import record_task

    try:
        record_task(task.name, state or "UNKNOWN", time.monotonic() - started)
    except Exception:  # metrics never fail a task
        logger.warning("could not record the duration of %s", task.name, exc_info=True)


@app.task(name="fuxiang.beat_heartbeat", ignore_result=True)
def beat_heartbeat() -> None:
    """Sent by beat every 30 s; the worker that runs it shows /health/ that beat, the broker
    and a worker are all alive."""
    from django.core.cache import cache

    from fuxiang.monitoring import BEAT_HEARTBEAT_KEY

    cache.set(BEAT_HEARTBEAT_KEY, time.time(), timeout=None)
