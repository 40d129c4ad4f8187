"""The Celery app. Eager (in-process) when CELERY_BROKER_URL is unset, e.g. in `make demo`."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fuxiang.settings")

app = Celery("fuxiang")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
