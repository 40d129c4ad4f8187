"""Server-side prepared statements for the large statements batch work runs again and again
(PostgreSQL).

A county rating run executes the same few statements — a scorecard compiled to SQL, the credit
policy compiled to SQL — once per village, 250 times over. Sent as text, each of them is parsed,
analysed and planned every time, which cost about a sixth of the database's time. Prepared once
per connection, PostgreSQL keeps the parse tree (and, for ``generic=True``, one plan), and each
village only binds its own parameters.

``execute`` takes the statement in the form the rest of the code writes (named ``%(name)s``
parameters, ``%%`` for a literal percent sign) and a mapping of parameters. Statements are
named after a hash of their text and of their parameters' types, so a different card or policy
is simply another statement. Each connection keeps its own; a new connection prepares again.
(Behind a pooler in transaction mode, such as PgBouncer's, prepared statements do not follow a
client: workers connect to PostgreSQL directly, docs/operations.md.)
"""

from __future__ import annotations

import functools
import hashlib
import re
import weakref
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection

from fuxiang import pgsettings

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")

# the statements prepared on each driver connection (gone with the connection)
_prepared: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, Decimal):
        return "numeric"
    if isinstance(value, datetime):
        return "timestamptz"
    if isinstance(value, date):
        return "date"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return "text[]"
    raise TypeError(f"no SQL type for a parameter of type {type(value).__name__}")


@functools.lru_cache(maxsize=64)
def _parsed(sql: str) -> tuple[tuple[str, ...], str]:
    """The statement's parameter names in order of first use, and its text with ``$n`` in
    their place — worked out once per statement text, not at every village."""
    names: list[str] = []
    for name in _PLACEHOLDER.findall(sql):
        if name not in names:
            names.append(name)
    position = {name: i for i, name in enumerate(names, start=1)}
    body = _PLACEHOLDER.sub(lambda m: f"${position[m.group(1)]}", sql).replace("%%", "%")
    return tuple(names), body


@functools.lru_cache(maxsize=64)
def _name(sql: str, types: tuple[str, ...]) -> str:
    digest = hashlib.sha1(f"{sql}\x00{list(types)}".encode(), usedforsecurity=False).hexdigest()
    return f"fx_{digest[:24]}"


def execute(
    cursor: Any,
    sql: str,
    params: Mapping[str, Any],
    *,
    generic: bool = False,
    prepare: bool = True,
    before: str = "",
) -> None:
    """Execute ``sql`` with ``params`` on ``cursor`` (Django's), as a prepared statement of the
    connection on PostgreSQL; elsewhere, or with ``prepare=False``, as plain text.

    Inside a transaction, ``generic=True`` plans the statement once for every set of
    parameters — for statements whose tables do not change size while they are run again and
    again (a scorecard reading the archives of one village after another). Otherwise each
    execution is planned for its parameters: a statement reading rows the same batch is still
    writing (a run's results) must not keep a plan made when there were few of them.

    ``before``: statements without parameters (``%`` doubled) to run first, in the same round
    trip (PostgreSQL; elsewhere they are executed on their own just before)."""
    if not prepare or connection.vendor != "postgresql":
        if before:
            cursor.execute(before.replace("%%", "%"))
        cursor.execute(sql, params)
        return
    names, body = _parsed(sql)
    types = tuple(_type(params[name]) for name in names)
    statement = _name(sql, types)
    connection.ensure_connection()
    done = _prepared.setdefault(connection.connection, set())
    if statement not in done:
        signature = f" ({', '.join(types)})" if types else ""
        # no parameters: the driver leaves the text as it is
        cursor.execute(f"PREPARE {statement}{signature} AS {body}")
        done.add(statement)
    arguments = f" ({', '.join(['%s'] * len(names))})" if names else ""
    mode = ""
    if connection.in_atomic_block:
        plan = "force_generic_plan" if generic else "force_custom_plan"
        mode = pgsettings.set_local_sql(plan_cache_mode=plan)
    cursor.execute(
        f"{before}{mode}EXECUTE {statement}{arguments}", [params[name] for name in names]
    )
