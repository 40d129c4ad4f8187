"""The restore drill of docs/deploy.md, run by CI: a seeded county is dumped with ``pg_dump``
(custom format, as the nightly backup makes it), restored with ``pg_restore`` into a database
that did not exist, and a separate process of the application — the same settings, only
``DATABASE_URL`` pointing at the restored copy — serves it: the household count matches the
original, head office's household list and a household's page answer 200, and a masked ID
number decrypts to the original with the data keys (the backup holds ciphertext only)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from fuxiang.accounts.models import Role, User
from households.models import Household, Member
from households.services import member_reveal

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent

# Runs in the restored database's own process: what an operator checks after a restore.
PROBE = """
import json, django
django.setup()
from django.test import Client
from fuxiang.accounts.models import Role, User
from households.models import Household, Member
from households.services import member_reveal
head_office = User.objects.filter(role=Role.HEAD_OFFICE, is_active=True).first()
household = Household.objects.order_by("pk").first()
member = Member.objects.filter(household=household).order_by("pk").first()
client = Client(HTTP_HOST="localhost")
client.force_login(head_office)
listing = client.get("/households/")
page = client.get(f"/households/{household.pk}/")
print(json.dumps({
    "households": Household.objects.count(),
    "members": Member.objects.count(),
    "list": listing.status_code,
    "page": page.status_code,
    "id_number": member_reveal(actor=head_office, member_id=member.pk).id_number,
}))
"""


def _libpq_env(db: dict) -> dict[str, str]:
    return {
        **os.environ,
        "PGHOST": db["HOST"] or "127.0.0.1",
        "PGPORT": str(db["PORT"] or 5432),
        "PGUSER": db["USER"] or "postgres",
        **({"PGPASSWORD": db["PASSWORD"]} if db.get("PASSWORD") else {}),
    }


def run(*command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: S603  (fixed commands of the drill)
        command, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"{command[0]}: {done.stderr[-3000:]}"
    return done


def test_a_dumped_county_restores_into_a_new_database_and_the_app_serves_it(postgres, tmp_path):
    call_command("seed_county", households=1500, seed=7, stdout=io.StringIO())
    households, members = Household.objects.count(), Member.objects.count()
    assert households == 1500
    head_office = User.objects.filter(role=Role.HEAD_OFFICE, is_active=True).first()
    first = Member.objects.filter(household=Household.objects.order_by("pk").first())
    id_number = member_reveal(
        actor=head_office, member_id=first.order_by("pk").first().pk
    ).id_number

    db = connection.settings_dict
    env = _libpq_env(db)
    dump = tmp_path / "county.dump"
    restored = f"fx_restore_{uuid.uuid4().hex[:8]}"
    run("pg_dump", "--format=custom", "--no-owner", f"--file={dump}", db["NAME"], env=env)
    assert dump.stat().st_size > 100_000
    run("createdb", restored, env=env)
    try:
        run(
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            f"--dbname={restored}",
            str(dump),
            env=env,
        )
        url = f"postgres://{env['PGUSER']}@{env['PGHOST']}:{env['PGPORT']}/{restored}"
        probe = run(
            sys.executable, "-c", PROBE,
            env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "fuxiang.settings"},
        )  # fmt: skip
    finally:
        subprocess.run(  # noqa: S603
            ["dropdb", "--if-exists", "--force", restored],  # noqa: S607
            env=env,
            capture_output=True,
            check=False,
        )

    served = json.loads(probe.stdout.strip().splitlines()[-1])
    assert served["households"] == households
    assert served["members"] == members
    assert served["list"] == 200
    assert served["page"] == 200
    assert served["id_number"] == id_number
