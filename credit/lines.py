"""Credit lines for a rated village: written beside its rating results, inside the chunk's
transaction (a rating *chunk step*, registered from ``CreditConfig.ready()``).

For every subject the run rated in the village, the line follows from the rating result, the
archive's figures and contribution, the subject's approved override if any — unless the run
rates the subject below the grade or cap the override was approved under
(``override_outlived``: the line is then the engine's, and the publish sets the override
待复核) — and the policy version in force on the run's as-of date (``credit.engine``: limit,
then rate). Only subjects granted a limit get a line. A business entity is limited on its own
basis (the policy's entity caps and multiples of net operating profit and net assets; nothing
under a version without entity rules), and an individual business, family farm or large
grower linked to its owner's household gets no line at all: it draws on the household's
(``engine.shares_household_line``). A line carries the previous current line's validity (a
3-year term is not restarted by a re-rating) and takes its status from the subject's hold, if
any (``CreditHold``: suspended or revoked; re-applied at publish by ``credit.holds.holds_apply``).

Two paths compute the same lines: on PostgreSQL the policy is compiled into one
``INSERT … SELECT`` per subject kind (no row travels to Python, ``credit.lines_sql``);
elsewhere (SQLite) the Python engine does it row by row (``credit.lines_python``). What both
share — the columns, the policy of a run, the granting grades, the validity arithmetic — is in
``credit.line_basis``.
``credit/tests/test_lines.py`` requires both to write identical lines.
"""

from __future__ import annotations

from django.db import connection

from credit.line_basis import (
    CARRIED,
    LINE_COLUMNS,
    NoPolicy,
    add_months,
    granting_grades,
    policy_for,
    policy_terms,
)
from credit.lines_python import line_for, override_outlived, write_python
from credit.lines_sql import write_sql
from credit.models import (
    CreditLine,
)
from rating.models import RatingRun

__all__ = [
    "CARRIED",
    "LINE_COLUMNS",
    "NoPolicy",
    "add_months",
    "granting_grades",
    "line_for",
    "lines_write",
    "override_outlived",
    "policy_for",
]


def lines_write(run: RatingRun, village_id: int) -> int:
    """The rating chunk step: replace the lines of (run, village) with lines from its results.
    Returns the number of lines written. On PostgreSQL one round trip: the removal of an
    earlier try's lines goes ahead of the statement writing the new ones."""
    delete = (
        f"DELETE FROM {CreditLine._meta.db_table} "  # noqa: S608
        f"WHERE run_id = {int(run.pk)} AND village_id = {int(village_id)}"
    )
    try:
        version = policy_for(run)
    except NoPolicy:
        version = None  # ratings before the first policy grant nothing (the run still publishes)
    if version is None or connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(delete)
        if version is None:
            return 0
        return write_python(run, village_id, version, policy_terms(run))
    return write_sql(run, village_id, version, policy_terms(run), before=f"{delete}; ")
