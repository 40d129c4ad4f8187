"""Writing generated rows: ``bulk_create`` anywhere, COPY from a writer thread on PostgreSQL."""

from __future__ import annotations

import csv
import io
import operator
import queue
import threading
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.utils import timezone

from households.models import BusinessEntity, Household, Member, WatchlistEntry

BULK_MODELS: tuple[type[models.Model], ...] = (
    Household,
    Member,
    BusinessEntity,
    BusinessEntity.owner_households.through,
    WatchlistEntry,
)


class _OrmWriter:
    """Any backend: ``bulk_create`` with primary keys assigned here (SQLite's AUTOINCREMENT
    moves past explicit ids by itself)."""

    def __init__(self) -> None:
        self.next_id: dict[type[models.Model], int] = {}

    def start(self) -> None:
        for model in BULK_MODELS:
            last = model.objects.aggregate(last=models.Max("pk"))["last"] or 0
            self.next_id[model] = last + 1

    def assign_ids(self, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
        first = self.next_id[model]
        for offset, row in enumerate(rows):
            row["id"] = first + offset
        self.next_id[model] = first + len(rows)

    def write(self, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
        model.objects.bulk_create([model(**row) for row in rows], batch_size=500)

    def start_copying(self) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass(frozen=True)
class _Encoded:
    """Rows of one model already encoded for COPY (in a generating process)."""

    model: type[models.Model]
    keys: tuple[str, ...]  # the rows' keys: which columns the data holds, in order
    data: bytes
    rows: int
    form: str = "text"  # COPY's format: "text" or "csv"

    def __len__(self) -> int:
        return self.rows


class _Encoder:
    """Rows (dicts keyed by column) to COPY's input. A row without an ``id`` gets the table's
    sequence (COPY leaves the column to its default); columns the rows do not give get their
    field's default, ``now`` for timestamps. Built in the parent before generating processes
    fork, so every process writes the same timestamps.

    Rows go in COPY's text format, each line its values' ``str`` joined by tabs: about twice
    as fast as the csv module, and right as long as no value holds a tab, a line break or a
    backslash — which is checked over the whole text afterwards (NULL is written ``\\N``, and
    counted); rows that fail the check go as CSV instead."""

    NULL = "\\N"

    def __init__(self) -> None:
        self.now = timezone.now()
        self.formats: dict[tuple[type[models.Model], tuple[str, ...]], tuple[Any, ...]] = {}

    def format(self, model: type[models.Model], keys: tuple[str, ...]) -> tuple[Any, ...]:
        """COPY statements (text, CSV), row getter, constant tail for rows with these keys."""
        found = self.formats.get((model, keys))
        if found:
            return found
        given, defaults, columns, nullable = [], [], [], []
        for f in model._meta.concrete_fields:
            if f.attname in keys:
                given.append(f)
            elif f.primary_key:
                continue  # numbered by the table's sequence, in COPY order
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                defaults.append((f, self.now))
            elif f.has_default():
                defaults.append((f, f.get_default()))
            elif f.null:
                defaults.append((f, None))
            else:
                raise ValueError(f"{model.__name__}.{f.attname} 没有值")
        for f in [*given, *((f for f, _ in defaults))]:
            columns.append(connection.ops.quote_name(f.column))
            if f.null:
                nullable.append(columns[-1])
        q = connection.ops.quote_name
        force_null = f", FORCE_NULL ({', '.join(nullable)})" if nullable else ""
        copy = f"COPY {q(model._meta.db_table)} ({', '.join(columns)}) FROM STDIN"
        sql = {"text": copy, "csv": f"{copy} WITH (FORMAT csv{force_null})"}
        getter = operator.itemgetter(*(f.attname for f in given))
        # the constants as text once, instead of converted again at every row
        tail = tuple(value if value is None else str(value) for _, value in defaults)
        self.formats[(model, keys)] = found = (sql, getter, tail, len(given) == 1, len(columns))
        return found

    def encode(self, model: type[models.Model], rows: list[dict[str, Any]]) -> _Encoded:
        keys = tuple(rows[0]) if rows else ()
        if not rows:
            return _Encoded(model, keys, b"", 0)
        _, getter, tail, single, width = self.format(model, keys)
        values = ((getter(row),) for row in rows) if single else map(getter, rows)
        text = self._text(values, tail, len(rows), width)
        if text is not None:
            return _Encoded(model, keys, text.encode(), len(rows), "text")
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        if single:
            writer.writerows((getter(row), *tail) for row in rows)
        else:
            writer.writerows(getter(row) + tail for row in rows)
        return _Encoded(model, keys, buffer.getvalue().encode(), len(rows), "csv")

    def _text(self, rows: Any, tail: tuple[Any, ...], count: int, width: int) -> str | None:
        """The rows in COPY's text format, or None if a value would need escaping there."""
        null, nulls = self.NULL, tail.count(None) * count
        end = "".join(f"\t{null if value is None else value}" for value in tail) + "\n"
        lines = []
        for values in rows:
            if None in values:
                nulls += values.count(None)
                lines.append("\t".join(null if v is None else str(v) for v in values) + end)
            else:
                lines.append("\t".join(map(str, values)) + end)
        text = "".join(lines)
        if (
            text.count("\t") != count * (width - 1)
            or text.count("\n") != count
            or text.count("\\") != nulls
            or "\r" in text
        ):
            return None  # a value holds a tab, a line break or a backslash
        return text


class _CopyWriter(_OrmWriter):
    """PostgreSQL: COPY (CSV) from a writer thread while the main thread (or the generating
    processes) make the next rows. The tables are locked against other inserts for the
    transaction, so the ids taken from the sequences here stay ours; the sequences are moved
    past them at the end. Members are numbered by their sequence as COPY reads them (nothing
    points at a member while the county is generated).

    Into empty tables (a new database: ``seed_county``'s case) their secondary indexes, unique
    constraints and foreign keys are dropped first and made again, with the same names and
    definitions, once every row is in (``_Deferred``): building a B-tree from the sorted rows
    costs a fraction of inserting 700,000 random blind-index keys one by one into indexes
    larger than the server's buffers, and one join validates a foreign key instead of one
    deferred check per row. Still one transaction: a duplicate ID or a dangling key fails the
    whole county at the end instead of at its row."""

    _STOP = None
    NUMBERED_BY_SEQUENCE: tuple[type[models.Model], ...] = (Member,)

    def __init__(self) -> None:
        super().__init__()
        self.queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue(maxsize=4)
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        self.encoder = _Encoder()
        self.deferred = _Deferred([m._meta.db_table for m in BULK_MODELS])

    def start(self) -> None:
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in BULK_MODELS)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
            self.deferred.drop_if_empty(cursor)
            for model in BULK_MODELS:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [model._meta.db_table]
                )
                self.next_id[model] = cursor.fetchone()[0]
            for model in self.NUMBERED_BY_SEQUENCE:  # its first row takes the value just read
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
                    [model._meta.db_table, self.next_id[model]],
                )
        connection.ensure_connection()

    def start_copying(self) -> None:
        """Start the writer thread (after any generating process has been forked: a fork
        copies no thread, and a lock held by one would stay held in the child)."""
        raw = connection.connection
        self.thread = threading.Thread(target=self._copy_loop, args=(raw,), daemon=True)
        self.thread.start()

    def _copy_loop(self, raw: Any) -> None:
        try:
            with raw.cursor() as cursor:
                while (item := self.queue.get()) is not self._STOP:
                    sql, data = item
                    cursor.copy_expert(sql, io.BytesIO(data), size=1 << 20)
        except BaseException as exc:  # handed to the main thread in write()/finish()
            self.error = exc
            while self.queue.get() is not self._STOP:  # let the producer finish and stop
                pass

    def assign_ids(self, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
        if model not in self.NUMBERED_BY_SEQUENCE:
            super().assign_ids(model, rows)

    def write(self, model: type[models.Model], rows: list[dict[str, Any]] | _Encoded) -> None:
        if self.error:
            raise self.error
        encoded = rows if isinstance(rows, _Encoded) else self.encoder.encode(model, rows)
        if encoded.rows:
            sql = self.encoder.format(model, encoded.keys)[0][encoded.form]
            self.queue.put((sql, encoded.data))

    def finish(self) -> None:
        self.queue.put(self._STOP)
        if self.thread:
            self.thread.join()
        if self.error:
            raise self.error
        with connection.cursor() as cursor:
            for model in BULK_MODELS:
                if model not in self.NUMBERED_BY_SEQUENCE:
                    cursor.execute(
                        "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
                        [model._meta.db_table, self.next_id[model]],
                    )
            self.deferred.restore(cursor)
            cursor.execute(f"ANALYZE {', '.join(q._meta.db_table for q in BULK_MODELS)}")


class _Deferred:
    """The secondary indexes, unique constraints and foreign keys of ``tables``, dropped while
    they are empty and made again afterwards from their catalogued definitions (primary keys
    stay: other tables' foreign keys hang on them, and sequential ids append cheaply)."""

    def __init__(self, tables: list[str]):
        self.tables = tables
        self.statements: list[str] = []  # to run in order once the rows are in

    def drop_if_empty(self, cursor: Any) -> bool:
        q = connection.ops.quote_name
        if any(self._has_rows(cursor, q(table)) for table in self.tables):
            return False
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, c.contype,
                   pg_get_constraintdef(c.oid)
            FROM pg_constraint c
            WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('u', 'f')
            ORDER BY c.contype DESC, c.conrelid::regclass::text, c.conname
            """,
            [self.tables],
        )
        constraints = cursor.fetchall()  # unique ones first: the foreign keys are made last
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1
            """,
            [self.tables],
        )
        indexes = cursor.fetchall()
        # Dropping a foreign key alters the referenced table too (villages, users ... made
        # earlier in this transaction), which PostgreSQL refuses while that table has checks
        # pending: run them now, as the commit would have.
        self._check_pending(cursor)
        # foreign keys first: one may hang on a unique constraint of these tables (a member's
        # (household, village) on the household's)
        for table, name, _, _ in reversed(constraints):
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {q(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        self.statements = [
            *(definition for _, definition in indexes),
            *(
                f"ALTER TABLE {table} ADD CONSTRAINT {q(name)} {definition}"
                for table, name, _, definition in constraints
            ),
        ]
        return True

    @staticmethod
    def _check_pending(cursor: Any) -> None:
        """Run the deferred constraint checks pending in this transaction, then defer again
        the constraints created deferred (Django's foreign keys)."""
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT string_agg(quote_ident(n.nspname) || '.' || quote_ident(c.conname), ', ') "
            "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE c.condeferred"
        )
        names = cursor.fetchone()[0]
        if names:
            cursor.execute(f"SET CONSTRAINTS {names} DEFERRED")

    @staticmethod
    def _has_rows(cursor: Any, table: str) -> bool:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # noqa: S608  (model tables)
        return bool(cursor.fetchone()[0])

    def restore(self, cursor: Any) -> None:
        if not self.statements:
            return
        # sorts for the index builds in memory (the session's default is 64 MB)
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        self._check_pending(cursor)
        for statement in self.statements:
            cursor.execute(statement)
        self.statements = []
