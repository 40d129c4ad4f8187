"""Publish hooks: steps that must happen in the same transaction as a run's publish, and
chunk steps that must happen in the same transaction as a chunk's results.

The credit app (to the right of rating) writes its lines beside each chunk's results (a chunk
step) and re-applies its holds when a run publishes (a publish step); it registers both from its
``AppConfig.ready()`` so that imports still point left::

    from rating import publish
    publish.register_chunk_step(lines_for_chunk, statement=lines_statement)
    publish.register(holds_for_publish)

A step receives the ``RatingRun`` being published, inside the publishing transaction, after the
current ratings were switched; raising rolls the whole publish back (the run stays
"publishing" and its task retries).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rating.models import RatingRun

PublishStep = Callable[["RatingRun"], None]

_steps: list[PublishStep] = []


def register(step: PublishStep) -> PublishStep:
    """Add a step (once; registering the same function again is a no-op). Usable as a
    decorator."""
    if step not in _steps:
        _steps.append(step)
    return step


def unregister(step: PublishStep) -> None:
    if step in _steps:
        _steps.remove(step)


def steps() -> tuple[PublishStep, ...]:
    return tuple(_steps)


def run_steps(run: RatingRun) -> None:
    for step in tuple(_steps):
        step(run)


# --- chunk steps ------------------------------------------------------------------------------
#
# A chunk step receives the run and the village of a chunk, inside the chunk's transaction,
# after the chunk's results were written (credit writes its lines beside them). It must first
# remove whatever it wrote for the same (run, village) before — a chunk may run again — and
# raising fails the chunk (its retry runs everything again).
#
# A step may also come in SQL form (``ChunkStatement``): where a village is rated by scorecards
# compiled to SQL (PostgreSQL), its statement then runs *inside* the village's rating statement,
# reading the rows just scored instead of reading the results and the archives a second time,
# and the step itself is not called for that village. Columns it needs from the archives are
# named in ``columns`` and computed beside the features.

ChunkStep = Callable[["RatingRun", int], None]


@dataclass(frozen=True)
class ChunkStatement:
    """The SQL form of a chunk step.

    - ``columns``: per subject kind ("household", "entity"), extra columns of the scored rows:
      name → SQL over the archive row (``h``, ``m``, ``w`` for a household; ``e``, ``w`` for
      an entity; see ``rating.features_sql``).
    - ``clear``: removes what the step wrote for (run, village) before; called before the
      village is rated, whichever way.
    - ``statement(run, kind)``: a data-modifying statement (``INSERT … SELECT``) reading
      ``rated`` (``result_id``, ``subject_id``, ``kind``, ``grade``, ``knocked_out``,
      ``flags`` of the results just written) joined to ``s`` (the scored rows: ``subject_id``
      and the extra columns), with its named parameters — or ``None`` to write nothing. It runs
      as a common table expression of the rating statement."""

    columns: Mapping[str, Mapping[str, str]]
    clear: ChunkStep
    statement: Callable[[RatingRun, str], tuple[str, Mapping[str, Any]] | None]


_chunk_steps: list[ChunkStep] = []
_chunk_statements: dict[ChunkStep, ChunkStatement] = {}


def register_chunk_step(step: ChunkStep, *, statement: ChunkStatement | None = None) -> ChunkStep:
    if step not in _chunk_steps:
        _chunk_steps.append(step)
    if statement is not None:
        _chunk_statements[step] = statement
    return step


def unregister_chunk_step(step: ChunkStep) -> None:
    if step in _chunk_steps:
        _chunk_steps.remove(step)
    _chunk_statements.pop(step, None)


def chunk_statements() -> dict[ChunkStep, ChunkStatement]:
    """The registered steps that have an SQL form, in registration order."""
    return {step: _chunk_statements[step] for step in _chunk_steps if step in _chunk_statements}


def clear_chunk(run: RatingRun, village_id: int) -> None:
    """Before a village is rated: the steps in SQL form remove what they wrote before."""
    for statement in chunk_statements().values():
        statement.clear(run, village_id)


def run_chunk_steps(
    run: RatingRun, village_id: int, *, done_in_sql: Collection[ChunkStep] = ()
) -> None:
    """Call the chunk steps, but for those whose statements ran inside the rating statement."""
    for step in tuple(_chunk_steps):
        if step not in done_in_sql:
            step(run, village_id)
