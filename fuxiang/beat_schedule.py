"""The periodic tasks beat installs into django_celery_beat's tables when it starts (times in
``CELERY_TIMEZONE``); ``settings.CELERY_BEAT_SCHEDULE`` is this. To add a nightly job, add its
task here."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from fuxiang.env import env_int


def beat_schedule() -> dict[str, Any]:
    return {
        # /health/'s "beat" check: a worker records each tick (fuxiang/celery.py)
        "beat-heartbeat": {
            "task": "fuxiang.beat_heartbeat",
            "schedule": 30.0,
            "options": {"expires": 60},
        },
        "watchlists-recheck-nightly": {
            "task": "households.tasks.recheck_watchlists",
            "schedule": crontab(hour=2, minute=30),
        },
        "archive-files-purge-nightly": {
            "task": "households.tasks.purge_archive_files",
            "schedule": crontab(hour=3, minute=0),
        },
        "credit-lines-expire-nightly": {
            "task": "credit.tasks.expire_lines",
            "schedule": crontab(hour=0, minute=10),
        },
        "credit-overrides-lapse-nightly": {
            "task": "credit.tasks.lapse_overrides",
            "schedule": crontab(hour=0, minute=20),
        },
        "qrlookup-events-flush": {
            "task": "qrlookup.tasks.flush_events",
            "schedule": 60.0,
        },
        "qrlookup-requests-overdue-nightly": {
            "task": "qrlookup.tasks.flag_overdue_requests",
            "schedule": crontab(hour=6, minute=0),
        },
        "qrlookup-stats-nightly": {
            "task": "qrlookup.tasks.roll_up_yesterday",
            "schedule": crontab(hour=1, minute=10),
        },
        "qrlookup-purge-nightly": {
            "task": "qrlookup.tasks.purge_verification_data",
            "schedule": crontab(hour=3, minute=20),
        },
        "loans-overdue-nightly": {
            "task": "loans.tasks.mark_overdue",
            "schedule": crontab(hour=0, minute=40),
        },
        "loans-whitelists-refresh-nightly": {
            "task": "loans.tasks.refresh_whitelists",
            "schedule": crontab(hour=1, minute=30),
        },
        "loans-platform-push-nightly": {
            "task": "loans.platform.tasks.push_whitelists",
            "schedule": crontab(hour=2, minute=0),
        },
        "loans-platform-inbox-nightly": {
            "task": "loans.platform.tasks.import_platform_inbox",
            "schedule": crontab(hour=4, minute=0),
        },
        "loans-platform-reconcile-daily": {
            "task": "loans.platform.tasks.reconcile_platforms",
            "schedule": crontab(hour=5, minute=0),
        },
        "dashboards-refresh": {
            "task": "dashboards.tasks.refresh_figures",
            "schedule": float(env_int("DASHBOARDS_REFRESH_SECONDS", 600)),
        },
    }
