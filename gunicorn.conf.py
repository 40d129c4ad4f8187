"""gunicorn's settings (docker-compose.yml's web service: ``gunicorn fuxiang.wsgi:application
--config gunicorn.conf.py``; benchmarks/bench_lookup.py serves with exactly this file).
Environment: GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_BIND, GUNICORN_TIMEOUT.

Threaded workers (gthread), one process per core, four threads each (docs/deploy.md, "The
application server"): a request spends part of its time waiting for PostgreSQL or Redis, and
another thread of the process runs meanwhile; nginx keeps its connections to gunicorn open
(``keepalive`` in deploy/nginx.conf), which the sync worker cannot; a long export holds one
thread, not a process. The application (with its URLconf, fuxiang/wsgi.py) is loaded once in
the master and the workers are forked from it (``preload_app``), so a worker recycled after
``max_requests`` is ready at once instead of importing Django again while the other workers
carry its load.

Logs go through Django's LOGGING (JSON lines, personal data redacted); the access log carries
no query string. With PROMETHEUS_MULTIPROC_DIR set, each worker's metrics are written there and
/metrics adds them up; the directory is emptied at start and a dead worker's files are marked.
"""

from __future__ import annotations

import gc
import os
import shutil
from pathlib import Path

from fuxiang.env import env_int  # the settings' reader: a value it cannot read stops the start

bind = os.environ.get("GUNICORN_BIND") or "0.0.0.0:8000"
worker_class = "gthread"
workers = env_int("GUNICORN_WORKERS", os.cpu_count() or 1)
threads = env_int("GUNICORN_THREADS", 4)
preload_app = True
# exports of a whole township are written in the request: allow them two minutes
timeout = env_int("GUNICORN_TIMEOUT", 120)
graceful_timeout = 30
keepalive = 5
# recycling bounds a slow leak; forked from the loaded master it costs a fork, not a restart
max_requests = 20000
max_requests_jitter = 2000
# only the proxy in front (nginx on the compose network) may say the request was https
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "*")
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'  # path without query string
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "fuxiang.logs.Formatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
        }
    },
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}


if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # the master loads the application (preload_app) before on_starting: the directory its
    # metrics are written to must exist by then
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)


def when_ready(server):
    # the loaded application's objects are shared with every forked worker: keep the garbage
    # collector from scanning them (and copying their pages) in each worker
    gc.freeze()


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
