"""Transaction-local PostgreSQL settings that batch work changes for itself, and gives back.

``SET LOCAL`` ends with the transaction — but not with a savepoint: a batch step run inside a
caller's transaction (a one-household re-rating inside a request, say) would leave its
planner settings to the caller. Every such setting goes through ``set_local`` (or
``set_local_sql``), which remembers its name on the connection, and ``restore_local`` sets all
of them back to the session's values. Elsewhere than on PostgreSQL all of this does nothing.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

# the settings changed on each driver connection since they were last given back
_changed: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def set_local_sql(**values: str) -> str:
    """``SET LOCAL name = value; …`` for the given settings (values are SQL literals written
    in the code, never input), to send ahead of a statement in the same round trip; ``""``
    off PostgreSQL."""
    if connection.vendor != "postgresql" or not values:
        return ""
    connection.ensure_connection()
    _changed.setdefault(connection.connection, set()).update(values)
    return "".join(f"SET LOCAL {name} = {value}; " for name, value in values.items())


def set_local(cursor: Any, **values: str) -> None:
    sql = set_local_sql(**values)
    if sql:
        cursor.execute(sql)


def restore_local() -> None:
    """Every setting ``set_local`` changed on this connection back to the session's value, for
    the rest of the transaction (outside one there is nothing to give back)."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    names = _changed.pop(connection.connection, set()) if connection.connection else set()
    if names:
        with connection.cursor() as cursor:
            cursor.execute("; ".join(f"SET LOCAL {name} TO DEFAULT" for name in sorted(names)))


@contextmanager
def unflushed_commits() -> Iterator[None]:
    """Statements run in autocommit inside the block commit without waiting for their WAL to
    reach the disk: ``SET LOCAL synchronous_commit = off`` goes ahead of each in the same
    round trip (PostgreSQL runs the two as one implicit transaction, which the setting ends
    with). Only for writes a server crash may lose without harm — the caller must be able to
    do them again — and only outside a transaction: inside a caller's, the setting would
    cover the caller's commit too, so nothing changes there (nor off PostgreSQL)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return

    def unflushed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        return execute(f"SET LOCAL synchronous_commit = off; {sql}", params, many, context)

    with connection.execute_wrapper(unflushed):
        yield
