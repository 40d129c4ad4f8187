"""Import and export through the back office, as an officer would use them."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from fuxiang.audit.models import AuditAction, AuditEvent
from households.imports.columns import COLUMNS
from households.models import ExportJob, Household, ImportJob, ImportKind, Member
from households.tests.factories import HouseholdFactory
from households.tests.hostile_files import dimension_bomb, zip_bomb
from households.tests.test_imports import family, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(client, org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(org.officer_a)
    return client


@pytest.fixture
def eager_celery(eager_celery, django_capture_on_commit_callbacks):
    """Queued after commit and run in-process: the page finds the job finished."""

    def post(client, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    return post


def upload(post, client, rows, name="罗家坪村.xlsx"):
    data = {"kind": "households", "file": SimpleUploadedFile(name, xlsx(rows).getvalue())}
    return post(client, reverse("households:import"), data)


def test_upload_imports_and_shows_the_result_with_rejected_rows(officer, org, eager_celery):
    bad = family(org.village_a)
    bad[0]["房产估值（元）"] = "很多"
    response = upload(eager_celery, officer, family(org.village_a) + bad)
    job = ImportJob.objects.get()
    assert response.url == reverse("households:import_job", args=[job.pk])
    page = officer.get(response.url).content.decode()
    assert 'data-testid="created">1<' in page
    assert "第5行" in page
    assert "房产估值（元）" in page
    assert Household.objects.count() == 1
    report = officer.get(reverse("households:import_report", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    assert [c.value for c in sheet[1]][-1] == "错误说明"
    assert sheet.max_row == 4  # header + the 3 rows of the rejected household


def test_a_file_that_is_not_a_spreadsheet_fails_with_a_clear_message(officer, eager_celery):
    eager_celery(
        officer,
        reverse("households:import"),
        {"kind": "households", "file": SimpleUploadedFile("照片.jpg", b"\xff\xd8\xff\xe0 jpeg")},
    )
    job = ImportJob.objects.get()
    page = officer.get(reverse("households:import_job", args=[job.pk])).content.decode()
    assert job.status == "failed"
    assert "只能导入 .xlsx、.xls 或 .csv 文件" in page


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (dimension_bomb, "用到了第1048576行，超过导入上限200000行"),
        (zip_bomb, "压缩比为288:1，超过上限100:1"),
    ],
)
def test_a_hostile_workbook_fails_its_job_within_seconds_and_is_deleted(
    officer, eager_celery, make, message
):
    """The findings of issue 10: a 5 KB dimension bomb and a 4 MB zip bomb. Before, the first
    aborted the process and the second took 20 s and 3 GB before the headers were read."""
    headers = [c.template_header for c in COLUMNS[ImportKind.HOUSEHOLDS]]
    started = time.monotonic()
    eager_celery(
        officer,
        reverse("households:import"),
        {"kind": "households", "file": SimpleUploadedFile("村档案.xlsx", make(headers))},
    )
    assert time.monotonic() - started < 10
    job = ImportJob.objects.get()
    assert (job.status, job.attempts) == ("failed", 1)
    assert message in officer.get(reverse("households:import_job", args=[job.pk])).content.decode()
    assert not job.file
    assert not any(path.is_file() for path in Path(settings.MEDIA_ROOT).rglob("*"))


def test_jobs_and_reports_are_private_to_the_uploader(officer, org, client, eager_celery):
    upload(eager_celery, officer, family(org.village_a))
    job = ImportJob.objects.get()
    client.force_login(org.officer_b)
    assert client.get(reverse("households:import_job", args=[job.pk])).status_code == 404


def test_read_only_roles_cannot_import(client, org):
    client.force_login(org.manager)
    assert client.get(reverse("households:import")).status_code == 403


def test_template_download(officer):
    response = officer.get(reverse("households:import_template", args=["entities"]))
    workbook = load_workbook(io.BytesIO(response.content))
    assert "主体类型*" in [c.value for c in workbook["数据"][1]]


def export(post, client, **data):
    """Ask for an export from the list page and download the finished file."""
    response = post(client, reverse("households:export"), data)
    job = ExportJob.objects.latest("id")
    assert response.url == reverse("households:export_job", args=[job.pk])
    page = client.get(response.url).content.decode()
    assert 'data-testid="export-done"' in page
    download = client.get(reverse("households:export_download", args=[job.pk]))
    return load_workbook(io.BytesIO(b"".join(download.streaming_content))).active


def test_export_is_masked_by_default_and_unmasked_export_is_audited(officer, org, eager_celery):
    HouseholdFactory(village=org.village_a, head__name="罗志强")
    HouseholdFactory(village=org.village_b)  # another grid: never exported
    rows = list(export(eager_celery, officer).iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1
    assert rows[0][2] == "罗**"
    assert "*" in rows[0][3]
    row = next(export(eager_celery, officer, unmasked="1").iter_rows(min_row=2, values_only=True))
    assert row[2] == "罗志强"
    assert "*" not in row[3]
    events = AuditEvent.objects.filter(action=AuditAction.EXPORT).order_by("id")
    assert [e.details["unmasked"] for e in events] == [False, True]


def test_text_that_looks_like_a_formula_is_exported_as_text_and_reimports_unchanged(
    officer, org, eager_celery
):
    """Issue 10: a name or address planted as a formula ran in the exporter's Excel. (A name
    is validated now; one archived before that is planted directly.)"""
    planted = {
        "家庭住址": "=cmd|' /C calc'!A0",
        "职业": "@SUM(1+1)",
        "村民小组": "-3组",
    }
    rows = family(org.village_a)
    rows[0].update(planted)
    upload(eager_celery, officer, rows)
    assert Household.objects.get().address == planted["家庭住址"]
    planted["姓名"] = '=HYPERLINK("http://example.cn","点我")'
    Member.objects.filter(relation="head").update(name=planted["姓名"])
    for unmasked in ("", "1"):
        eager_celery(officer, reverse("households:export"), {"unmasked": unmasked})
        job = ExportJob.objects.latest("id")
        download = officer.get(reverse("households:export_download", args=[job.pk]))
        content = b"".join(download.streaming_content)
        sheet = load_workbook(io.BytesIO(content)).active
        cells = [cell for row in sheet.iter_rows() for cell in row]
        assert [c.coordinate for c in cells if c.data_type == "f"] == []
        head = dict(zip([c.value.rstrip("*") for c in sheet[1]], sheet[2], strict=True))
        assert head["家庭住址"].value == planted["家庭住址"]
        assert head["姓名"].value.startswith("=")  # masked: "=*…", text all the same
    assert head["姓名"].value == planted["姓名"]

    eager_celery(
        officer,
        reverse("households:import"),
        {"kind": "households", "file": SimpleUploadedFile("导出.xlsx", content)},
    )
    job = ImportJob.objects.latest("id")
    # the other columns read back unchanged; the formula "name" is no name: refused
    assert job.status == "done"
    assert [r["column"] for r in job.rejected if r["row"] == 2] == ["姓名"]
    household = Household.objects.get()
    assert (household.address, household.village_group.name) == (
        planted["家庭住址"], planted["村民小组"]
    )  # fmt: skip
    head_member = household.members.get(relation="head")
    assert (head_member.name, head_member.occupation) == (planted["姓名"], planted["职业"])


def test_export_follows_the_list_filters(officer, org, eager_celery):
    HouseholdFactory(village=org.village_a, head__name="欧阳娜娜")
    HouseholdFactory(village=org.village_a, head__name="罗大")
    sheet = export(eager_celery, officer, query="name=%E6%AC%A7%E9%98%B3")  # name=欧阳
    names = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["欧***"]
    assert "name" not in AuditEvent.objects.get(action=AuditAction.EXPORT).details


def test_auditor_cannot_export_unmasked(client, org):
    client.force_login(org.auditor)
    response = client.post(reverse("households:export"), {"unmasked": "1"})
    assert response.status_code == 403
    assert not ExportJob.objects.exists()


def test_export_files_are_for_the_requester_only(officer, org, eager_celery):
    from django.test import Client

    HouseholdFactory(village=org.village_a)
    export(eager_celery, officer)
    job = ExportJob.objects.get()
    other = Client()
    other.force_login(org.head_office)
    assert other.get(reverse("households:export_download", args=[job.pk])).status_code == 404


def test_unmasked_export_re_imports_without_changes(officer, org, eager_celery):
    HouseholdFactory(village=org.village_a)
    sheet = export(eager_celery, officer, unmasked="1")
    buffer = io.BytesIO()
    sheet.parent.save(buffer)
    from households.imports import import_file

    result = import_file(
        stream=io.BytesIO(buffer.getvalue()),
        filename="export.xlsx",
        kind="households",
        actor=org.officer_a,
    )
    assert (result.created, result.updated, result.unchanged, result.rejected_rows) == (0, 0, 1, 0)


def test_only_the_uploader_downloads_the_report_and_it_is_audited(officer, org, eager_celery):
    from django.test import Client

    bad = family(org.village_a)
    bad[1]["身份证号码"] = "12345"
    upload(eager_celery, officer, bad)
    job = ImportJob.objects.get()
    url = reverse("households:import_report", args=[job.pk])
    auditor = Client()
    auditor.force_login(org.auditor)
    assert auditor.get(reverse("households:import_job", args=[job.pk])).status_code == 200
    assert auditor.get(url).status_code == 403
    assert officer.get(url).status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (event.actor, event.details["import_job"]) == (org.officer_a, job.pk)


def test_a_redelivered_task_does_not_run_beside_a_live_job(officer, org):
    from households.imports import import_job_run
    from households.models import ImportStatus

    job = ImportJob.objects.create(
        kind="households", original_name="x.xlsx", uploaded_by=org.officer_a,
        status=ImportStatus.RUNNING, started_at=timezone.now(), total_rows=10, processed_rows=4,
    )  # fmt: skip
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed_rows) == (ImportStatus.RUNNING, 4)


def _left_running_by_a_dead_worker(org, rows, *, attempts):
    """A job whose earlier runs each died with their worker: still "running", long ago."""
    from datetime import timedelta

    from households.models import ImportStatus

    job = ImportJob(
        kind="households", original_name="x.xlsx", uploaded_by=org.officer_a,
        status=ImportStatus.RUNNING, started_at=timezone.now() - timedelta(hours=2),
        attempts=attempts,
    )  # fmt: skip
    job.file.save("x.xlsx", io.BytesIO(xlsx(rows).getvalue()), save=False)
    job.save()
    return job


def test_a_job_whose_worker_died_once_is_run_again(officer, org):
    from households.imports import import_job_run

    job = _left_running_by_a_dead_worker(org, family(org.village_a), attempts=1)
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.created_count) == ("done", 2, 1)


def test_a_job_whose_worker_died_twice_is_failed_not_run_again(officer, org, settings):
    """A redelivered task of a file that keeps killing its worker ends the loop."""
    from households.imports import import_job_run

    assert settings.IMPORT_MAX_ATTEMPTS == 2
    job = _left_running_by_a_dead_worker(org, family(org.village_a), attempts=2)
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("failed", 3)
    assert "导入已中断2次" in job.error
    assert not job.file
    assert not Household.objects.exists()


def test_old_reports_are_purged(officer, org, eager_celery):
    from datetime import timedelta

    from households.imports import archive_files_purge

    bad = family(org.village_a)
    bad[1]["身份证号码"] = "12345"
    upload(eager_celery, officer, bad)
    job = ImportJob.objects.get()
    assert job.report
    assert archive_files_purge(now=timezone.now() + timedelta(days=3)) == 0
    assert archive_files_purge(now=timezone.now() + timedelta(days=8)) == 1
    job.refresh_from_db()
    assert not job.report
