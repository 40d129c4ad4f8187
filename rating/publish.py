"""Publish hooks: steps that must happen in the same transaction as a run's publish.

The credit app (to the right of rating) creates credit lines when ratings are published; it
registers a step here from its ``AppConfig.ready()`` so that imports still point left::

    from rating import publish
    publish.register(credit_lines_from_run)

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
