"""Transaction-local PostgreSQL settings that batch work changes for itself, and gives back.

``SET LOCAL`` ends with the transaction — but not with a savepoint: a batch step run inside a
caller's transaction (a one-household re-rating inside a request, say) would leave its
planner settings to the caller. Every such setting goes through ``set_local`` (or
``set_local_sql``), which remembers its name on the connection, and ``restore_local`` sets all
of them back to the session's values. Elsewhere than on PostgreSQL all of this does nothing.
"""

from __future__ import annotations

import weakref
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
