"""`make demo` runs a real Celery worker and beat on a broker kept in files, and shows the
same Chinese error pages as production even with DEBUG on."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import path

from fuxiang import demo
from fuxiang.tests.test_settings import run_manage


def test_the_filesystem_broker_queues_tasks_for_a_worker(tmp_path):
    """With the demo's broker the tasks are queued (not eager) in the demo's folder."""
    code = (
        "from django.conf import settings as s; import json; print(json.dumps("
        "[s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_TRANSPORT_OPTIONS,"
        " s.DATABASES['default']['OPTIONS']]))"
    )
    result = run_manage(
        "shell",
        "-c",
        code,
        DJANGO_DEBUG="1",
        CELERY_BROKER_URL="filesystem://",
        CELERY_FILESYSTEM_DIR=str(tmp_path),
        CELERY_TASK_ALWAYS_EAGER="0",
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
    eager, options, database = json.loads(result.stdout.strip().splitlines()[-1])
    assert eager is False
    assert options["data_folder_in"] == options["data_folder_out"] == str(tmp_path / "messages")
    assert options["control_folder"] == str(tmp_path / "control")
    # the web server, the worker and beat share the SQLite file: WAL, and writers wait
    assert "journal_mode=WAL" in database["init_command"]
    assert database["timeout"] >= 10


def test_the_demo_starts_a_worker_beat_and_the_web_server_on_that_broker(tmp_path):
    env = demo.demo_environment(
        {"DATABASE_URL": "postgres://x", "REDIS_URL": "redis://x", "PATH": "/bin"}, tmp_path
    )
    assert env["CELERY_BROKER_URL"].startswith("filesystem://")
    assert env["CELERY_FILESYSTEM_DIR"] == str(tmp_path)
    assert "DATABASE_URL" not in env
    assert "REDIS_URL" not in env
    names = [name for name, _ in demo.commands(sys.executable, "127.0.0.1:8000")]
    assert names == ["worker", "beat", "web"]
    worker = dict(demo.commands(sys.executable, "127.0.0.1:8000"))["worker"]
    assert worker[1:5] == ["-m", "celery", "-A", "fuxiang"]
    assert worker.index("--quiet") < worker.index("worker")  # celery's option, not worker's


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _boom)]


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_with_debug_on_a_missing_page_is_the_chinese_404_not_the_debug_page():
    response = Client().get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "未找到该页面或记录" in html
    assert "URLconf" not in html
    assert "Page not found" not in html


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_with_debug_on_a_404_raised_by_a_view_is_the_chinese_page(org):
    client = Client()
    client.force_login(org.officer_b)
    response = client.get("/households/999999/")
    assert response.status_code == 404
    assert "未找到" in response.content.decode()
    assert "Http404" not in response.content.decode()


@pytest.mark.django_db
@override_settings(DEBUG=True, ROOT_URLCONF=__name__)
def test_with_debug_on_an_error_is_the_chinese_500_page_without_a_traceback():
    response = Client(raise_request_exception=False).get("/boom/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "系统出错" in html
    assert "Traceback" not in html
    assert "RuntimeError" not in html


@pytest.mark.django_db
@override_settings(DEBUG=True, DEBUG_ERROR_PAGES=True)
def test_a_developer_may_ask_for_djangos_debug_pages():
    assert "URLconf" in Client().get("/no-such-page/").content.decode()


def test_the_makefile_demo_runs_the_launcher():
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "-m fuxiang.demo" in makefile
