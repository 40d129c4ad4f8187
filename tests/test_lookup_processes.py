"""The lookup's limits and lockouts hold across processes: a gunicorn server in a subprocess
and this test process count in the same Redis, as two gunicorn workers (or two machines) do."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from captcha.models import CaptchaStore
from django.test import Client

from conftest import require_service
from households.tests.factories import HouseholdFactory, next_resident_id
from qrlookup import qrcodes
from qrlookup.models import QrCodeKind
from qrlookup.tests.conftest import person

pytestmark = [pytest.mark.services]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings):
    """This test's limits under keys of its own (both processes use them)."""
    settings.QRLOOKUP_CACHE_NAMESPACE = f"qrl-test-{uuid.uuid4().hex[:12]}"
    settings.QRLOOKUP_EVENT_BUFFER = False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def other_process(transactional_db, postgres, settings, tmp_path):
    """gunicorn serving the project on the test database and the same Redis namespace."""
    require_service("REDIS_URL", "Redis")
    from django.db import connection

    db = connection.settings_dict
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "QRLOOKUP_CACHE_NAMESPACE": settings.QRLOOKUP_CACHE_NAMESPACE,
        "CELERY_BROKER_URL": "",  # its SMS go to the outbox in-process
        "QRLOOKUP_EVENT_BUFFER": "0",
    }
    log = tmp_path / "gunicorn.log"
    command = [
        sys.executable, "-m", "gunicorn", "fuxiang.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", "1", "--timeout", "60",
    ]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603  (our own server, fixed arguments)
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=10)
                break
            except requests.RequestException:  # not listening yet, or slow on a busy machine
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{log.read_text()}")
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


class Remote:
    """A phone talking to the other process over HTTP."""

    def __init__(self, base: str, token: str):
        self.base, self.token = base, token
        self.session = requests.Session()

    def _form(self, path: str) -> tuple[str, str]:
        html = self.session.get(f"{self.base}{path}", timeout=10).text
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        key = re.search(r'name="captcha_0" value="([0-9a-f]+)"', html)
        return csrf, key.group(1) if key else ""

    def identify(self, name: str, id_number: str) -> int:
        csrf, key = self._form(f"/q/{self.token}/check")
        answer = CaptchaStore.objects.get(hashkey=key).response
        response = self.session.post(
            f"{self.base}/q/{self.token}/check",
            data={"csrfmiddlewaretoken": csrf, "name": name, "id_number": id_number,
                  "captcha_0": key, "captcha_1": answer},
            allow_redirects=False, timeout=10,
        )  # fmt: skip
        return response.status_code

    def enter(self, code: str) -> str:
        csrf, _ = self._form(f"/q/{self.token}/code")
        return self.session.post(
            f"{self.base}/q/{self.token}/code",
            data={"csrfmiddlewaretoken": csrf, "code": code},
            timeout=10,
        ).text


@pytest.fixture
def setting(org, eager_celery):
    code = qrcodes.qrcode_create(
        actor=org.officer_a, kind=QrCodeKind.VILLAGE, village=org.village_a
    )
    h = HouseholdFactory(village=org.village_a, head=False)
    return code, person(h)


def _local_identify(client: Client, token: str, name: str, id_number: str) -> int:
    html = client.get(f"/q/{token}/check").content.decode()
    key = re.search(r'name="captcha_0" value="([0-9a-f]+)"', html).group(1)
    answer = CaptchaStore.objects.get(hashkey=key).response
    data = {"name": name, "id_number": id_number, "captcha_0": key, "captcha_1": answer}
    return client.post(f"/q/{token}/check", data).status_code


def test_the_id_limit_is_counted_by_both_processes(other_process, setting):
    code, _ = setting
    remote, local = Remote(other_process, code.token), Client()
    unknown = next_resident_id()
    answers = [
        remote.identify("张三", unknown),
        _local_identify(local, code.token, "张三", unknown),
        remote.identify("张三", unknown),
        _local_identify(local, code.token, "张三", unknown),
        remote.identify("张三", unknown),  # the fifth use of this ID within the hour
        _local_identify(local, code.token, "张三", unknown),
        remote.identify("张三", unknown),
    ]
    assert answers == [302, 302, 302, 302, 302, 429, 429]


def test_a_lockout_in_one_process_holds_in_the_other(other_process, setting):
    code, who = setting
    remote, local = Remote(other_process, code.token), Client()
    assert remote.identify(who.name, who.id_number) == 302
    assert _local_identify(local, code.token, who.name, who.id_number) == 302
    for _ in range(3):
        assert "验证码不正确" in remote.enter("000000")
    local.post(f"/q/{code.token}/code", {"code": "000000"})
    fifth = local.post(f"/q/{code.token}/code", {"code": "000000"}).content.decode()
    assert "已暂停查询" in fifth  # five failures, counted across both processes
    assert "已暂停查询" in remote.enter("000000")
    assert remote.identify(who.name, who.id_number) == 403  # locked there too
