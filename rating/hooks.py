"""Publish hooks: steps that must happen in the same transaction as a run's publish, chunk
steps that must happen in the same transaction as a chunk's results, and start checks that
may refuse a real run before it is created.

The credit app (to the right of rating) writes its lines beside each chunk's results (a chunk
step) and re-applies its holds when a run publishes (a publish step); it registers both from its
``AppConfig.ready()`` so that imports still point left::

    from rating import hooks
    hooks.register_chunk_step(lines_for_chunk)
    hooks.register(holds_for_publish)

A step receives the ``RatingRun`` being published, inside the publishing transaction, after the
current ratings were switched; raising rolls the whole publish back (the run stays
"publishing" and its task retries).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

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

ChunkStep = Callable[["RatingRun", int], None]

_chunk_steps: list[ChunkStep] = []


def register_chunk_step(step: ChunkStep) -> ChunkStep:
    if step not in _chunk_steps:
        _chunk_steps.append(step)
    return step


def unregister_chunk_step(step: ChunkStep) -> None:
    if step in _chunk_steps:
        _chunk_steps.remove(step)


def run_chunk_steps(run: RatingRun, village_id: int) -> None:
    for step in tuple(_chunk_steps):
        step(run, village_id)


# --- start checks -----------------------------------------------------------------------------
#
# A start check receives a real run about to be created (not saved yet: scope, as-of date and
# cards are set) and raises ``fuxiang.errors.DomainError`` to refuse it — before anything of
# it exists. Credit refuses a run whose as-of date has no approved policy in force: it would
# publish the scope's ratings and withdraw every credit line in it. What-ifs are not checked.

StartCheck = Callable[["RatingRun"], None]

_start_checks: list[StartCheck] = []


def register_start_check(check: StartCheck) -> StartCheck:
    if check not in _start_checks:
        _start_checks.append(check)
    return check


def unregister_start_check(check: StartCheck) -> None:
    if check in _start_checks:
        _start_checks.remove(check)


def run_start_checks(run: RatingRun) -> None:
    for check in tuple(_start_checks):
        check(run)
