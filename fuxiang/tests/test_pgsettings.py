"""Transaction-local settings of batch work (``fuxiang.pgsettings``), on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from fuxiang import pgsettings


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('synchronous_commit')")
        return str(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_unflushed_commits_cover_only_the_statements_of_the_block(postgres):
    """Outside a transaction each statement of the block commits unflushed; the setting ends
    with that statement's own (implicit) transaction."""
    server = _synchronous_commit()
    with pgsettings.unflushed_commits():
        assert _synchronous_commit() == "off"
    assert server != "off"  # (the server's own setting, which the check above would not show)
    assert _synchronous_commit() == server


@pytest.mark.django_db(transaction=True)
def test_unflushed_commits_leave_a_callers_transaction_alone(postgres):
    """Inside a caller's transaction the setting would cover the caller's commit too."""
    server = _synchronous_commit()
    with transaction.atomic(), pgsettings.unflushed_commits():
        assert _synchronous_commit() == server != "off"
