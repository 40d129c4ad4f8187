"""Rating runs (评级任务): start, chunks, publish, resume, re-rating households at once.

The package's modules follow a run's life: ``start`` (scope, permission, as-of bounds, the
chunks), ``chunks`` (the chunk protocol and queueing), ``liveness`` (claims renewed by a
heartbeat, taken over when it stops; lost work queued again), ``publishing`` (publish, fail, cancel,
resume) and ``immediate`` (re-rating households at once, in the caller's transaction). This
module only re-exports them; callers write ``from rating import runs`` and ``runs.<name>``.

Life cycle of a run: *pending* (created with one chunk per village of its scope) → *running*
(a worker claimed a chunk) → *publishing* (the last chunk finished) → *published* (the current
ratings switched in one transaction). A run may instead end *failed* (a chunk gave up after its
retries, or the publish check found results missing) or *cancelled*; either way nothing of it
was ever current.

Guarantees:

- **No overlap.** At most one run is pending/running/publishing at any time (a partial unique
  constraint on ``RatingRun.lane``), whoever starts it and however they race.
- **Chunks are idempotent.** A worker claims a chunk with one conditional ``UPDATE`` (pending,
  failed, or running with a stale claim: neither made nor renewed by its worker's heartbeat
  for ``RATING_CHUNK_STALE_SECONDS``) and a claim tag of its own; it writes the chunk's
  results in one transaction, deleting any earlier results of that chunk first, and only
  while it still holds the claim. Running a chunk twice leaves the
  same rows, never duplicates (also a unique constraint per run and subject).
- **No operator.** Every worker sweeps (``liveness``): stale claims are taken over, and a run
  whose messages were lost is queued again.
- **The last chunk is detected once**: a conditional ``UPDATE`` of the run from running to
  publishing where ``chunks_done = chunks_total``; only the worker whose update matched queues
  the publish.
- **Atomic publish.** Publishing checks that every chunk is done and every counted subject has
  a result, switches ``CurrentRating`` for the whole scope, records counts, runs the publish
  hooks (credit) and audits, all in one transaction. Before it commits, everyone sees the
  previous ratings.
- **A real run's date is bounded** (checked before anything of it is created): today, or at
  most ``RATING_AS_OF_MAX_DAYS_BACK`` days back; never in the future; never before the as-of
  date of a published run that rated any village of its scope (so no rating in force moves
  back in time); and only on a date with an approved credit policy in force (credit's start
  check). Other dates are for what-ifs, which are not bounded.
"""

from rating.runs.chunks import ChunkOutcome, rating_chunk_run, stale_after
from rating.runs.immediate import rating_household_rerate, rating_households_rerate
from rating.runs.publishing import (
    rating_chunk_give_up,
    rating_run_cancel,
    rating_run_fail,
    rating_run_publish,
    rating_run_resume,
)
from rating.runs.start import (
    BUSY,
    BUSY_SIMULATION,
    EMPTY_SCOPE,
    as_of_window,
    rating_run_start,
    rating_simulation_start,
)

__all__ = [
    "BUSY",
    "BUSY_SIMULATION",
    "EMPTY_SCOPE",
    "ChunkOutcome",
    "as_of_window",
    "rating_chunk_give_up",
    "rating_chunk_run",
    "rating_household_rerate",
    "rating_households_rerate",
    "rating_run_cancel",
    "rating_run_fail",
    "rating_run_publish",
    "rating_run_resume",
    "rating_run_start",
    "rating_simulation_start",
    "stale_after",
]
