"""The API keeps its contract: schemathesis (the CLI, as an API user would run it) sends every
operation of the OpenAPI schema — its documented examples first, then generated and mutated
requests — to a live server, signed in with an API token, once as head office and once as an
officer. No answer may be a server error, and every answer must be one the schema documents
(status code, content type, headers, body).

The data behind the documented examples exists under the ids the examples use
(``fuxiang.api_examples``), so the examples' creates answer 201 and their reads 200."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from fuxiang import api_examples as ex
from fuxiang.accounts import tokens
from households.models import BusinessEntity, Household, Member, Relation, Village
from households.tests.factories import (
    BusinessEntityFactory,
    HouseholdFactory,
    MemberFactory,
    UserFactory,
)
from loans.models import Channel, Loan, LoanApplication, LoanContract, LoanProduct, SigningCode
from loans.signing import code_hash
from loans.tests.conftest import RICH, seeded  # noqa: F401  (a fixture)
from loans.tests.test_services import apply, draw, sign
from rating.runs import rating_household_rerate

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
CONFIG = Path(__file__).with_name("schemathesis.toml")
# Test cases per operation and phase; CI and a local run use the same.
MAX_EXAMPLES = int(os.environ.get("FX_SCHEMATHESIS_EXAMPLES", "10"))


def set_next_id(model, value: int) -> None:
    """The next row of ``model`` gets id ``value`` (the examples' ids)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
            [model._meta.db_table, value],
        )


@pytest.fixture(autouse=True)
def _ids_past_the_examples(postgres, transactional_db):
    """Before any row is made: the id sequences of the tables where the examples take fixed
    ids run past them, so no other row (the org fixture's, the examples' creates) takes one."""
    fixed = ((Village, ex.VILLAGE_ID), (Household, ex.HOUSEHOLD_ID), (Member, ex.MEMBER_ID))
    for model, value in (*fixed, (BusinessEntity, ex.ENTITY_ID)):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
                " GREATEST(nextval(pg_get_serial_sequence(%s, 'id')), %s))",
                [model._meta.db_table, model._meta.db_table, value],
            )


def create_example_rows(*, township, grid, rate) -> None:
    """The rows the schema's examples name, under the examples' ids, in ``grid``; ``rate``
    re-rates a household (its line and whitelists, as the system makes them)."""
    village = Village.objects.create(
        pk=ex.VILLAGE_ID,
        township=township,
        grid=grid,
        name="新塘村",
        code="430223101201",
        registered_households=320,
    )
    household = HouseholdFactory(pk=ex.HOUSEHOLD_ID, village=village, head=False, **RICH)
    MemberFactory(pk=ex.MEMBER_ID, household=household, relation=Relation.HEAD, name="刘建国")
    BusinessEntityFactory(pk=ex.ENTITY_ID, village=village)
    rate(household)
    e_loan = LoanProduct.objects.get(code="fuxiang_e_loan")
    # a contract partly drawn and its loan; then an approved application not yet signed
    drawn, approved = (rate(HouseholdFactory(village=village, **RICH)) for _ in range(2))
    application = apply(drawn, e_loan, amount=120000, method="revolving")
    set_next_id(LoanContract, ex.CONTRACT_ID)
    contract = sign(application)
    set_next_id(Loan, ex.LOAN_ID)
    draw(contract, 50000)
    set_next_id(LoanApplication, ex.APPLICATION_ID)
    application = apply(approved, e_loan, amount=100000)
    assert application.status == "approved"
    # the code the borrower received by SMS, which the sign example reads out
    now = timezone.now()
    SigningCode.objects.create(
        id=ex.SIGNING_CODE_ID,
        application=application,
        member_id=application.applicant_member_id,
        channel=Channel.BRANCH,
        code_hash=code_hash(ex.SIGNING_CODE_ID, ex.SIGNING_CODE),
        created_at=now - timedelta(minutes=2),
        expires_at=now + timedelta(hours=2),
    )


@pytest.fixture
def example_data(org, seeded, eager_celery, django_capture_on_commit_callbacks):  # noqa: F811
    def rate(household):
        with django_capture_on_commit_callbacks(execute=True):
            rating_household_rerate(household=household)
        return household

    create_example_rows(township=org.township, grid=org.grid_a, rate=rate)


def schemathesis(live_server, tmp_path, name: str, tokens_by_role: dict[str, str], *select):
    """``schemathesis run`` over the operations ``select`` picks; every check, but for
    positive_data_acceptance: a schema-valid request may still be refused for what a schema
    cannot say (a check digit, a duplicate, a credit limit, the user's scope), with a 400 or
    404 the schema documents."""
    env = {
        **os.environ,
        "FX_API_TOKEN": tokens_by_role["main"],
        "FX_API_TOKEN_LEAVER": tokens_by_role["leaver"],
        "FX_API_TOKEN_REVOKER": tokens_by_role["revoker"],
        "NO_COLOR": "1",
    }
    report = tmp_path / f"{name}.ndjson"
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file", str(CONFIG),
        "run", f"{live_server.url}/api/schema/",
        "--checks", "all",
        "--exclude-checks", "positive_data_acceptance",
        "--phases", "examples,coverage,fuzzing",
        "--workers", "1",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", "20261206",
        "--report", "ndjson",
        "--report-ndjson-path", str(report),
        *select,
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603  (our own CLI, fixed arguments)
        command, env=env, capture_output=True, text=True, timeout=1200, check=False
    )
    output = done.stdout + done.stderr
    (tmp_path / f"{name}.txt").write_text(output)
    assert done.returncode == 0, output[-20000:]  # non-zero: a failed check, or no schema
    assert " passed" in output, output[-20000:]
    return statuses(report)


def statuses(report: Path) -> dict[str, set[int]]:
    """Status codes each operation answered, from the ndjson events."""
    seen: dict[str, set[int]] = {}

    def walk(node, label=None):
        if isinstance(node, dict):
            label = node.get("label", label) if isinstance(node.get("label"), str) else label
            response = node.get("response")
            if isinstance(response, dict) and "status_code" in response and label:
                seen.setdefault(label, set()).add(response["status_code"])
            for value in node.values():
                walk(value, label)
        elif isinstance(node, list):
            for value in node:
                walk(value, label)

    for line in report.read_text().splitlines():
        walk(json.loads(line))
    return seen


@pytest.mark.parametrize("role", ["head_office", "officer_a"])
def test_every_operation_keeps_the_schema_as_head_office_and_as_an_officer(
    role, org, example_data, live_server, tmp_path
):
    leaver = UserFactory(username="leaver", role=org.officer_a.role)
    revoker = UserFactory(username="revoker", role=org.head_office.role)
    tokens_by_role = {
        "main": tokens.api_token_create(user=getattr(org, role))[1],
        "leaver": tokens.api_token_create(user=leaver)[1],
        "revoker": tokens.api_token_create(user=revoker)[1],
    }
    revoking = "/auth/logout|/revoke-tokens/"

    seen = schemathesis(
        live_server, tmp_path, "main", tokens_by_role, "--exclude-path-regex", revoking
    )
    seen_revoking = schemathesis(
        live_server, tmp_path, "revoking", tokens_by_role, "--include-path-regex", revoking
    )

    operations = {*seen, *seen_revoking}
    assert len(operations) == 28, sorted(operations)  # every operation of the schema answered
    assert not any(code >= 500 for codes in seen.values() for code in codes), seen
    # the documented examples were accepted, not only refused
    created = {op for op, codes in seen.items() if 201 in codes}
    assert {"POST /api/v1/households/", "POST /api/v1/entities/"} <= created, seen
    if role == "officer_a":
        assert {
            "POST /api/v1/households/{id}/members/",
            "POST /api/v1/visits/",
            "POST /api/v1/loans/applications/",
            "POST /api/v1/loans/applications/{id}/sign/",
            "POST /api/v1/loans/contracts/{id}/drawdowns/",
        } <= created, seen
    assert 200 in seen["GET /api/v1/loans/loans/{id}/"], seen
