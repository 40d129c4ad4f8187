"""Writing generated rows: ``bulk_create`` anywhere, COPY from a writer thread on PostgreSQL."""

from __future__ import annotations

import csv
import io
import operator
import queue
import threading
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

    def finish(self) -> None:
        pass


class _CopyWriter(_OrmWriter):
    """PostgreSQL: COPY (CSV) from a writer thread while the main thread generates the next
    chunk. The tables are locked against other inserts for the transaction, so the ids taken
    from the sequences here stay ours; the sequences are moved past them at the end."""

    _STOP = None

    def __init__(self) -> None:
        super().__init__()
        self.queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue(maxsize=4)
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        self.now = timezone.now()
        self.formats: dict[tuple[type[models.Model], tuple[str, ...]], tuple[Any, ...]] = {}

    def start(self) -> None:
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in BULK_MODELS)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
            for model in BULK_MODELS:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [model._meta.db_table]
                )
                self.next_id[model] = cursor.fetchone()[0]
        connection.ensure_connection()
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

    def _format(self, model: type[models.Model], keys: tuple[str, ...]) -> tuple[Any, ...]:
        """COPY statement, row getter and constant tail for rows with these keys."""
        found = self.formats.get((model, keys))
        if found:
            return found
        given, defaults, columns, nullable = [], [], [], []
        for f in model._meta.concrete_fields:
            if f.attname in keys:
                given.append(f)
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
        sql = (
            f"COPY {q(model._meta.db_table)} ({', '.join(columns)}) "
            f"FROM STDIN WITH (FORMAT csv{force_null})"
        )
        getter = operator.itemgetter(*(f.attname for f in given))
        tail = tuple(value for _, value in defaults)
        self.formats[(model, keys)] = found = (sql, getter, tail, len(given) == 1)
        return found

    def write(self, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
        if self.error:
            raise self.error
        if not rows:
            return
        sql, getter, tail, single = self._format(model, tuple(rows[0]))
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        if single:
            writer.writerows((getter(row), *tail) for row in rows)
        else:
            writer.writerows(getter(row) + tail for row in rows)
        self.queue.put((sql, buffer.getvalue().encode()))

    def finish(self) -> None:
        self.queue.put(self._STOP)
        if self.thread:
            self.thread.join()
        if self.error:
            raise self.error
        with connection.cursor() as cursor:
            for model in BULK_MODELS:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
                    [model._meta.db_table, self.next_id[model]],
                )
            cursor.execute(f"ANALYZE {', '.join(q._meta.db_table for q in BULK_MODELS)}")
