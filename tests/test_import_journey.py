"""An officer uploads a village spreadsheet on a phone; a real Celery worker imports it while
the page shows progress; the result lists the rejected rows."""

from __future__ import annotations

import pytest

from households.models import Household, ImportJob
from households.tests.test_imports import family, xlsx
from tests.test_browser_archive import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.services]


def test_officer_uploads_a_village_file_and_watches_it_import(
    org, celery_worker, live_server, phone, screenshot, tmp_path
):
    rows = [row for _ in range(120) for row in family(org.village_a)]
    rows[1]["身份证号码"] = "43022319800517123"  # one bad row: its household is refused
    path = tmp_path / "罗家坪村.xlsx"
    path.write_bytes(xlsx(rows).getvalue())

    sign_in(phone, live_server, "officer_a")
    phone.goto(f"{live_server.url}/households/import/")
    phone.select_option("#id_kind", "households")
    phone.set_input_files("#id_file", str(path))
    phone.click("button:has-text('上传并导入')")

    phone.wait_for_selector("[data-testid=import-summary]", timeout=60_000)
    assert phone.inner_text("[data-testid=created]") == "119"
    assert phone.inner_text("[data-testid=rejected]") == "3"
    assert "第3行" in phone.inner_text("[data-testid=import-errors]")
    screenshot(phone, "result")
    job = ImportJob.objects.get()
    assert job.status == "done"
    assert Household.objects.count() == 119
    assert "run_import_job" in celery_worker.log.read_text()
