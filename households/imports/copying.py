"""Inserting an import's new rows with one ``COPY`` per table and chunk (PostgreSQL).

The ORM's INSERT builds and adapts a parameter per column and row (~45 for a household):
for a chunk of 500 households with their members and audit events that compiler was a
quarter of an import. ``COPY`` of the same values as CSV is one statement with no
parameters. Triggers (the archive history) and constraints apply to ``COPY`` as to INSERT.
"""

from __future__ import annotations

import csv
import io
import json
import operator
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

from django.db import connection, connections, models


def copy_insert(
    model: type[models.Model], objects: Sequence[models.Model], *, now: datetime, ids: bool
) -> None:
    """Insert ``objects`` as ``bulk_create`` would: ``auto_now``/``auto_now_add`` fields set
    to ``now``, and with ``ids`` their primary keys taken from the table's sequence in one
    statement and set on them (as ``bulk_create``'s RETURNING does). Elsewhere than on
    PostgreSQL: ``bulk_create``. A unique index violated raises ``IntegrityError``."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects)
        return
    opts = model._meta
    pk = cast(models.Field, opts.pk)
    fields = [f for f in opts.concrete_fields if ids or not f.primary_key]
    text = (models.CharField, models.TextField)
    # CSV cannot tell a NULL from an empty string once quoted: NULL is written as a quoted
    # empty value and read back as NULL (FORCE_NULL) in columns that hold no text; a text
    # column holding NULL goes through the ORM instead.
    if any(
        getattr(obj, f.attname) is None
        for f in fields
        if f.null and isinstance(f, text)
        for obj in objects
    ):
        model._default_manager.bulk_create(objects)
        return
    nulls = [
        connection.ops.quote_name(cast(str, f.column))
        for f in fields
        if f.null and not isinstance(f, text)
    ]
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objects:
                setattr(obj, field.attname, now)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [opts.db_table, pk.column, len(objects)],
            )
            for obj, (pk_value,) in zip(objects, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, pk_value)
        buffer = io.StringIO()
        # strings (and JSON) quoted, numbers and booleans bare, None a quoted empty value
        writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        database = connections[connection.alias]  # not the proxy: it is asked per value
        prepare = [_preparer(field, database) for field in fields]
        getter = operator.attrgetter(*(f.attname for f in fields))
        # (attrgetter of one name gives that value, not a 1-tuple of it)
        values: Callable[[Any], Sequence[Any]] = (
            getter if len(fields) > 1 else lambda obj: (getter(obj),)
        )
        writer.writerows(
            [p(value) for p, value in zip(prepare, values(obj), strict=True)] for obj in objects
        )
        buffer.seek(0)
        columns = ", ".join(connection.ops.quote_name(cast(str, f.column)) for f in fields)
        table = connection.ops.quote_name(opts.db_table)
        force_null = f", FORCE_NULL ({', '.join(nulls)})" if nulls else ""
        cursor.cursor.copy_expert(
            f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv{force_null})", buffer
        )


def copy_values(
    model: type[models.Model], rows: Sequence[dict[str, Any]], *, now: datetime
) -> None:
    """Insert rows given as ``{attname: value}`` with one COPY, as ``copy_insert`` inserts
    model instances, without building them: a ``Member`` costs ~12 µs to make, a third of a
    second for the 30,000 members of 10,000 households, and is only read back here. A field
    a row does not give takes its default (evaluated once per call); no primary keys are
    returned. Elsewhere than on PostgreSQL: ``bulk_create`` of instances made from the rows."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([model(**row) for row in rows])
        return
    defaults = {
        f.attname: f.get_default() for f in model._meta.concrete_fields if not f.primary_key
    }
    full = [{**defaults, **row} for row in rows]
    # a NULL in a text column: ``copy_insert`` would hand the rows to ``bulk_create``, which
    # needs model instances, not these records
    text = [
        f.attname
        for f in model._meta.concrete_fields
        if f.null and isinstance(f, (models.CharField, models.TextField))
    ]
    if any(values[name] is None for values in full for name in text):
        model._default_manager.bulk_create([model(**row) for row in rows])
        return
    records = [SimpleNamespace(**values) for values in full]
    copy_insert(model, cast(Sequence[models.Model], records), now=now, ids=False)


# Field classes whose ``get_db_prep_save`` gives a value of these exact types back as it is on
# PostgreSQL (``to_python`` and the backend's adapter are the identity for them): asked for
# every value of a chunk — a million times in an import — the ORM's call chain was most of
# the COPY's Python time. Other classes, and other types (None, a naive datetime, a string
# in an integer field), take that chain.
_AS_THEY_ARE: dict[type[models.Field], tuple[type, ...]] = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.BooleanField: (bool,),
    models.IntegerField: (int,),
    models.BigIntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.PositiveBigIntegerField: (int,),
    models.AutoField: (int,),
    models.BigAutoField: (int,),
    models.SmallAutoField: (int,),
    models.DateField: (date,),
}


def _preparer(field: models.Field, database: Any) -> Callable[[Any], Any]:
    """The value ``field`` writes for a Python value, as ``get_db_prep_save`` gives it."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda value: None if value is None else json.dumps(value, cls=encoder)

    def prepare(value: Any) -> Any:
        return field.get_db_prep_save(value, database)

    if database.vendor != "postgresql":
        return prepare
    kind = type(field)
    if kind is models.ForeignKey:
        kind = type(cast(models.ForeignKey, field).target_field)
    if kind is models.DateTimeField:
        # an aware datetime is stored as it is; a naive one gets the ORM's warning and zone
        return lambda value: (
            value if type(value) is datetime and value.utcoffset() is not None else prepare(value)
        )
    if kind is models.DecimalField:
        # the ORM makes an equal Decimal of a finite one; it refuses NaN and infinities
        return lambda value: (
            value if type(value) is Decimal and value.is_finite() else prepare(value)
        )
    plain = _AS_THEY_ARE.get(kind)
    if plain is None:
        return prepare
    return lambda value: value if type(value) in plain else prepare(value)
