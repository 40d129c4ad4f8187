"""The Celery app. Eager (in-process) when CELERY_BROKER_URL is unset or
CELERY_TASK_ALWAYS_EAGER=1 (`make demo`'s setup, which then runs a real worker on kombu's
filesystem broker: ``fuxiang.demo``)."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, Task
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fuxiang.settings")

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
    from django.db import close_old_connections

    close_old_connections()
