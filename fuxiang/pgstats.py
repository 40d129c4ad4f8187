"""Fresh planner statistics for tables a batch step has just changed a lot, before it reads them.

PostgreSQL plans a statement from each table's statistics (``pg_class.reltuples`` and
``pg_statistic``), which only ``ANALYZE`` brings up to date. Autovacuum does that some time
after a table changed by more than ``autovacuum_analyze_threshold +
autovacuum_analyze_scale_factor × reltuples`` rows — minutes later at best, and never on a
server where it is off (as here and on CI). A step that runs seconds after another rewrote
hundreds of thousands of rows, or that fills a table it reads again itself, is planned for the
table as it was: an empty table's estimate of a row or none turns a hash join into a nested
loop that scans the table once per outer row.

``analyze_if_stale`` applies autovacuum's own test there and then, and analyses the tables that
fail it; a table that changed little costs one catalogue query. ``ANALYZE`` takes a SHARE
UPDATE EXCLUSIVE lock, which blocks neither reads nor writes (only another ``ANALYZE`` or
``VACUUM`` of the table) — but inside a transaction it is held until the transaction ends, so
the place to call this is between transactions. Elsewhere than on PostgreSQL it does nothing.
"""

from __future__ import annotations

import logging
import time

from django.db import connection, models

logger = logging.getLogger(__name__)

# For each table: the rows changed since its last analyse, as the server counts them plus what
# this connection has not reported yet (its open transaction, and committed work whose counts
# wait to be sent); the rows the planner thinks it has; whether it was ever analysed; whether
# it has grown since (the counts start again from zero after a crash or in a copy of the
# database, the table's size does not); and autovacuum's threshold for it.
_STATE_SQL = """
SELECT t.name,
       pg_stat_get_mod_since_analyze(c.oid) + pg_stat_get_xact_tuples_inserted(c.oid)
       + pg_stat_get_xact_tuples_updated(c.oid) + pg_stat_get_xact_tuples_deleted(c.oid),
       c.reltuples,
       COALESCE(pg_stat_get_last_analyze_time(c.oid),
                pg_stat_get_last_autoanalyze_time(c.oid)) IS NOT NULL,
       pg_relation_size(c.oid)
       > CAST(c.relpages AS bigint) * CAST(current_setting('block_size') AS integer),
       CAST(current_setting('autovacuum_analyze_threshold') AS float8)
       + CAST(current_setting('autovacuum_analyze_scale_factor') AS float8)
         * GREATEST(c.reltuples, 0)
  FROM unnest(CAST(%s AS text[])) WITH ORDINALITY AS t(name, n)
  JOIN pg_class c ON c.oid = CAST(t.name AS regclass)
 ORDER BY t.n
"""


def analyze_if_stale(*tables: type[models.Model] | str) -> list[str]:
    """``ANALYZE`` those of ``tables`` (models or table names) whose statistics are stale: more
    rows changed since the last analyse than autovacuum would wait for, any rows changed in a
    table never analysed, or a table last seen empty that has rows or pages now. Returns the
    names of the tables analysed.

    The counts are a backend's own until it reports them, when it next goes idle (at most
    once a second): outside a transaction this asks for this connection's to be reported
    first, so that an analyse here starts them from zero; inside one the rows the transaction
    wrote itself still count after an analyse, until it ends. Another connection's last
    second of work may not be counted yet."""
    if connection.vendor != "postgresql" or not tables:
        return []
    names = [t if isinstance(t, str) else t._meta.db_table for t in tables]
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # not the transaction's first look
        else:
            cursor.execute("SELECT pg_stat_force_next_flush()")  # reported as this one ends
        cursor.execute(_STATE_SQL, [names])
        stale = [
            name
            for name, changed, rows, analysed, grown, threshold in cursor.fetchall()
            if changed > threshold
            or (changed > 0 and not analysed)
            or (rows <= 0 and (changed > 0 or grown))
        ]
        if stale:
            started = time.perf_counter()
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(n) for n in stale))
            logger.info(
                "analysed %s (stale statistics): %.2f s",
                ", ".join(stale),
                time.perf_counter() - started,
            )
    return stale
