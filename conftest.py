"""Fixtures shared by every test: a small organisation with two grids and a user per role,
and the rule that a test needing a service skips without it — except in CI, where it fails."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer

from fuxiang.accounts.models import Role

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(variable: str, what: str) -> str:
    """Return the service URL from ``variable``; skip (locally) or fail (CI) when unset."""
    value = os.environ.get(variable, "")
    if not value:
        message = f"{what} not configured: set {variable}"
        if IN_CI:
            pytest.fail(f"CI must test this: {message}")
        pytest.skip(message)
    return value


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness is for production; tests create many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: on Redis the rate-limit and lockout counters of an
    earlier test (or an earlier run) would otherwise carry over and refuse this one's SMS."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def postgres(settings):
    """Skip (or fail in CI) unless the tests run on PostgreSQL."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        message = "needs PostgreSQL: set DATABASE_URL=postgres://..."
        if IN_CI:
            pytest.fail(f"CI must test this: {message}")
        pytest.skip(message)


@pytest.fixture
def eager_celery():
    """Run queued tasks in-process for tests about a page, not about the queue."""
    from fuxiang.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


class Workers:
    """Real ``celery worker`` processes on one queue of the test's own (see ``celery_workers``).
    ``start()`` starts one more and waits until it is ready; ``env`` overrides its environment
    (another broker, another database address). Every process is stopped when the test ends."""

    def __init__(self, *, queue: str, database_url: str, directory: Path, media: Path) -> None:
        self.queue = queue
        self.database_url = database_url
        self.directory = directory
        self.media = media
        self.started: list[SimpleNamespace] = []

    def start(self, *, env: dict[str, str] | None = None, wait: bool = True) -> SimpleNamespace:
        number = len(self.started) + 1
        log = self.directory / f"worker-{number}.log"
        environment = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "DJANGO_MEDIA_ROOT": str(self.media),
            **(env or {}),
        }
        command = [
            sys.executable, "-m", "celery", "-A", "fuxiang", "worker", "--pool=solo",
            "--queues", self.queue, "--hostname", f"{self.queue}-{number}@%h",
            "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        with log.open("w") as out:
            process = subprocess.Popen(  # noqa: S603  (our own worker, fixed arguments)
                command,
                cwd=Path(__file__).parent,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        worker = SimpleNamespace(process=process, queue=self.queue, log=log)
        self.started.append(worker)
        if wait:
            self.wait_ready(worker)
        return worker

    @staticmethod
    def wait_ready(worker: SimpleNamespace, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while " ready." not in worker.log.read_text():
            if worker.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Celery worker did not start:\n{worker.log.read_text()}")
            time.sleep(0.2)

    def logs(self) -> str:
        return "\n".join(f"--- {w.log.name}\n{w.log.read_text()}" for w in self.started)

    def stop_all(self) -> None:
        for worker in self.started:
            if worker.process.poll() is None:
                worker.process.terminate()
        for worker in self.started:
            try:
                worker.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(timeout=10)


@pytest.fixture
def celery_workers(postgres, transactional_db, settings, tmp_path):
    """Start real ``celery worker`` processes on Redis, using the test database, consuming a
    queue of the test's own (so no other worker on the machine takes the test's tasks); tasks
    the test queues go there. ``celery_workers.start()`` starts one (tests start none, one,
    or several, and may kill them). Tests using it must commit their data: it comes with
    ``transactional_db``."""
    require_service("CELERY_BROKER_URL", "Celery broker (Redis)")
    from django.db import connection

    from fuxiang.celery import app

    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media  # uploads must be where the worker looks for them
    workers = Workers(
        queue=f"test-{uuid.uuid4().hex[:8]}",
        database_url=database_url,
        directory=tmp_path,
        media=media,
    )
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = workers.queue
    try:
        yield workers
    finally:
        app.conf.task_default_queue = previous_queue
        workers.stop_all()


@pytest.fixture
def celery_worker(celery_workers):
    """One real ``celery worker`` process, ready (see ``celery_workers``)."""
    return celery_workers.start()


@pytest.fixture
def org(db):
    """A county with one branch, two grids (A and B) of one village each, and a user per role."""
    from households.tests.factories import (
        DEFAULT_PASSWORD,
        BranchFactory,
        GridFactory,
        TownshipFactory,
        UserFactory,
        VillageFactory,
    )

    township = TownshipFactory(name="网岭镇")
    branch = BranchFactory(name="网岭支行")
    grid_a = GridFactory(branch=branch, name="罗家坪网格")
    grid_b = GridFactory(branch=branch, name="丫江桥网格")
    village_a = VillageFactory(township=township, grid=grid_a, name="罗家坪村")
    village_b = VillageFactory(township=township, grid=grid_b, name="丫江桥村")
    officer_a = UserFactory(username="officer_a", full_name="刘客户经理", role=Role.OFFICER)
    officer_b = UserFactory(username="officer_b", full_name="陈客户经理", role=Role.OFFICER)
    grid_a.officers.add(officer_a)
    grid_b.officers.add(officer_b)
    manager = UserFactory(username="manager", full_name="王行长", role=Role.BRANCH_MANAGER)
    branch.managers.add(manager)
    head_office = UserFactory(
        username="admin",
        full_name="总行管理员",
        role=Role.HEAD_OFFICE,
        is_staff=True,
        is_superuser=True,
    )
    auditor = UserFactory(username="auditor", full_name="审计员", role=Role.AUDITOR)
    return SimpleNamespace(
        township=township,
        branch=branch,
        grid_a=grid_a,
        grid_b=grid_b,
        village_a=village_a,
        village_b=village_b,
        officer_a=officer_a,
        officer_b=officer_b,
        manager=manager,
        head_office=head_office,
        auditor=auditor,
        password=DEFAULT_PASSWORD,  # every user's, for tests that sign in with it
    )


@pytest.fixture
def checker(db):
    """A second head-office user, to approve what the first one drafts and submits
    (maker-checker: scorecards, credit policies)."""
    from households.tests.factories import UserFactory

    return UserFactory(username="checker", full_name="复核员", role=Role.HEAD_OFFICE)


class NoDelayWSGIServer(ThreadedWSGIServer):
    """Django's test server with Nagle's algorithm off on every connection it accepts. The
    server writes a response in several small pieces (status line, headers, body); with Nagle
    on, each piece after the first waited for the client's delayed ACK, 40 ms on Linux
    (schemathesis's requests: median 53.7 ms, 9.9 ms with it off)."""

    def get_request(self):
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's ``live_server`` (same address rules), served by ``NoDelayWSGIServer``
    (pytest-django's own starts its server as it makes it, with no say in the class)."""
    from pytest_django.live_server_helper import LiveServer

    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(addr, start=False)
    server.thread.server_class = NoDelayWSGIServer
    server.start()
    yield server
    server.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI nothing may silently stop being tested: a skip is reported as a failure."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped in CI (CI=true), which counts as a failure: {reason}"


@pytest.fixture
def run_to_end(eager_celery, django_capture_on_commit_callbacks, request):
    """Start a rating run and let eager Celery rate its chunks and publish it, as the workers
    would. ``as_of`` defaults to the test module's ``AS_OF``, and the run is started on that
    day (``today``; a real run may not be dated far from the day it starts) unless the test
    says otherwise."""
    from rating import runs

    def start(**kwargs):
        kwargs.setdefault("as_of", request.module.AS_OF)
        kwargs.setdefault("today", kwargs["as_of"])
        with django_capture_on_commit_callbacks(execute=True):
            run = runs.rating_run_start(**kwargs)
        run.refresh_from_db()
        return run

    return start
