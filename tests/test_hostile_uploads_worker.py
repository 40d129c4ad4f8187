"""Issue 10: spreadsheets made to kill their reader, imported on a real Celery worker. Before,
the dimension bomb aborted the worker process (and the late-acked task would have been
redelivered to kill the next one); the zip bomb held it for 20 s and 3 GB. Now each job fails
once, with a message, and the same worker imports the next file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from households.imports.columns import COLUMNS
from households.models import ImportJob, ImportKind, ImportStatus
from households.tests.hostile_files import dimension_bomb, zip_bomb
from households.tests.test_imports import family, xlsx

pytestmark = [pytest.mark.services]

HEADERS = [c.template_header for c in COLUMNS[ImportKind.HOUSEHOLDS]]


def peak_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM"))
    return int(line.split()[1]) / 1024


def upload_and_wait(client, content: bytes, worker) -> ImportJob:
    client.post(
        reverse("households:import"),
        {"kind": "households", "file": SimpleUploadedFile("村档案.xlsx", content)},
    )
    job = ImportJob.objects.latest("id")
    deadline = time.monotonic() + 60
    while job.status not in (ImportStatus.DONE, ImportStatus.FAILED):
        assert worker.process.poll() is None, f"the worker died:\n{worker.log.read_text()}"
        assert time.monotonic() < deadline, worker.log.read_text()
        time.sleep(0.2)
        job.refresh_from_db()
    return job


def test_hostile_workbooks_fail_once_and_the_worker_imports_the_next_file(
    celery_worker, org, client
):
    client.force_login(org.officer_a)
    pid = celery_worker.process.pid
    before = peak_mb(pid)
    for make, message in (
        (dimension_bomb, "用到了第1048576行，超过导入上限200000行"),
        (zip_bomb, "压缩比为288:1，超过上限100:1"),
    ):
        started = time.monotonic()
        job = upload_and_wait(client, make(HEADERS), celery_worker)
        assert time.monotonic() - started < 15
        assert (job.status, job.attempts) == (ImportStatus.FAILED, 1)
        assert message in job.error
        assert not job.file
        assert celery_worker.process.poll() is None
    assert peak_mb(pid) - before < 100  # the 1.1 GB of the zip bomb was never inflated

    job = upload_and_wait(client, xlsx(family(org.village_a)).getvalue(), celery_worker)
    assert (job.status, job.created_count) == (ImportStatus.DONE, 1)
    assert celery_worker.process.poll() is None
