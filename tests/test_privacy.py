"""Nothing in the database holds a plaintext resident ID or phone number — not the archive,
not its history, not import jobs and their messages, not watch lists, not the audit log."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from households import imports, services, watchlists
from households.models import HouseholdHistory, ImportJob, MemberHistory
from households.tests.factories import next_resident_id
from households.tests.test_imports import family, xlsx

pytestmark = pytest.mark.django_db


def every_value_in_the_database() -> str:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608  (table names from the schema)
            chunks.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(chunks)


def test_no_plaintext_identifier_is_stored_anywhere(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    good = family(org.village_a)
    headless = family(org.village_a)[1:]  # rejected: its message must not quote the head's ID
    bad_phone = family(org.village_a)
    bad_phone[0]["手机号码"] = "1390733000"  # 10 digits
    secrets = [row["身份证号码"] for row in good + headless + bad_phone]
    secrets += ["13907330001", headless[0]["户主身份证号码"]]
    upload = SimpleUploadedFile("村.xlsx", xlsx(good + headless + bad_phone).getvalue())
    job = imports.import_job_start(actor=org.officer_a, kind="households", upload=upload)
    imports.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.created_count, job.rejected_count) == (1, 5)
    assert not job.file  # the upload itself is deleted once imported

    listed = next_resident_id()
    secrets.append(listed)
    watchlists.watchlist_import(
        actor=org.head_office,
        kind="dishonest_debtor",
        source="县法院",
        stream=io.BytesIO(f"身份证号码,姓名,列入日期\n{listed},某某,2025-01-01\n".encode()),
        filename="失信.csv",
        as_of=date(2026, 11, 28),
    )
    services.member_reveal(
        actor=org.officer_a, member_id=org.village_a.households.get().members.first().pk
    )

    if connection.vendor == "postgresql":  # the archive history is scanned too (triggers)
        assert MemberHistory.objects.exists()
        assert HouseholdHistory.objects.exists()
    stored = every_value_in_the_database()
    leaked = [secret for secret in secrets if secret in stored]
    assert leaked == []
    assert ImportJob.objects.get().rejected  # the messages are kept, just without identifiers
