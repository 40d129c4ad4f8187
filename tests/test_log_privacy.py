"""The logs carry no personal data: real flows — an officer's archive edits over the API
(with a refused ID number), a reveal, a villager's lookup with a wrong ID and then the right
one and the SMS code, a village spreadsheet imported through the back office (with a bad row)
— are logged at DEBUG as production logs them (JSON lines, fuxiang/logs.py), and the log is
grepped for every name, ID number and phone number the flows used."""

from __future__ import annotations

import json
import logging
import logging.config

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from fuxiang.logs import logging_config
from households.models import Household, ImportJob, Member
from households.tests.factories import next_resident_id
from households.tests.test_api import with_wrong_check_char
from households.tests.test_imports import family, xlsx
from qrlookup.tests.conftest import (  # noqa: F401  (fixtures)
    flow,
    household,
    rated,
    run_today,
    village_code,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log(tmp_path, settings):
    """Every logger at DEBUG into a file, through the production handler's formatter."""
    path = tmp_path / "app.log"
    config = logging_config(json_lines=True, level="DEBUG")
    config["handlers"]["console"] = {
        "class": "logging.FileHandler",
        "filename": str(path),
        "encoding": "utf-8",
        "formatter": "json",
    }
    logging.config.dictConfig(config)
    yield path
    logging.config.dictConfig(settings.LOGGING)


def test_real_flows_leave_no_name_id_or_phone_in_the_logs(
    org,
    json_log,
    village_code,  # noqa: F811
    rated,  # noqa: F811
    flow,  # noqa: F811
    client,
    eager_celery,
    django_capture_on_commit_callbacks,
):
    secrets: set[str] = set()
    api = APIClient()
    api.force_authenticate(org.officer_a)

    # archive edits over the API: a household with its head, a refused ID, a new phone
    head_id, spouse_id = next_resident_id(), next_resident_id(male=False)
    secrets |= {"欧阳明辉", head_id, "13907339876", "司马秀兰", spouse_id, "13607335432"}
    created = api.post(
        "/api/v1/households/",
        {
            "village": org.village_a.pk,
            "address": "罗家坪村四组2号",
            "head": {"name": "欧阳明辉", "id_number": head_id, "phone": "13907339876"},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    refused = api.post(
        f"/api/v1/households/{created.data['id']}/members/",
        {"relation": "spouse", "name": "司马秀兰", "id_number": with_wrong_check_char(spouse_id)},
        format="json",
    )
    assert refused.status_code == 400
    added = api.post(
        f"/api/v1/households/{created.data['id']}/members/",
        {"relation": "spouse", "name": "司马秀兰", "id_number": spouse_id},
        format="json",
    )
    assert added.status_code == 201, added.content
    assert (
        api.patch(
            f"/api/v1/members/{added.data['id']}/", {"phone": "13607335432"}, format="json"
        ).status_code
        == 200
    )
    # a reveal: the plain values go to the officer, not to the log
    revealed = api.post(f"/api/v1/members/{added.data['id']}/reveal/")
    assert revealed.data["id_number"] == spouse_id

    # the villager's lookup: a wrong ID, then the right one, the SMS code, the result
    head = rated.head
    secrets |= {head.name, head.id_number, head.phone, rated.spouse.name, rated.spouse.phone}
    flow.identify(village_code.token, head.name, with_wrong_check_char(head.id_number))
    result = flow.verify(village_code.token, head)
    assert result.status_code == 302

    # a village spreadsheet through the back-office upload (one bad row)
    rows = family(org.village_a) + family(org.village_a)
    rows[1]["身份证号码"] = "43022319800517123"
    for row in rows:
        secrets |= {row["姓名"], row["身份证号码"], row["手机号码"], row["户主身份证号码"]}
    client.force_login(org.officer_a)
    upload = SimpleUploadedFile("罗家坪村.xlsx", xlsx(rows).getvalue())
    with django_capture_on_commit_callbacks(execute=True):  # the job is queued on commit
        started = client.post("/households/import/", {"kind": "households", "file": upload})
    assert started.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == "done", job.__dict__
    assert Member.objects.filter(household__in=Household.objects.all()).count() > 5

    # and code that logs a number by mistake is redacted on the way out
    logging.getLogger("fuxiang.tests").warning("oops %s %s", head.id_number, head.phone)

    lines = json_log.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 5
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"time", "level", "name", "message"} <= set(records[0])
    assert any("Bad Request" in r["message"] for r in records)  # the refusals were logged
    assert any(r["message"] == "oops [身份证号] [手机号]" for r in records)
    text = "\n".join(lines)
    leaked = sorted(s for s in secrets if s and s in text)
    assert not leaked, leaked
