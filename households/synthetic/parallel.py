"""Generating the villages, in this process or in several (docs/performance.md, seeding).

Each village draws from its own random stream, owns its share of the ID numbers and entity
serials, and its households' ids are fixed before anything is drawn (``first_ids``): so a
village's rows depend on the seed and its place in the county only, and any number of
processes makes the same county. Results come back in village order, so members (numbered
by their sequence as COPY reads them), entities and list entries are numbered the same too.

The processes are forked (the parent's Django setup, keys and organisation come with them,
nothing is pickled but a village's number and its rows) before the writer thread starts, and
never touch the database: the parent writes everything in its one transaction. AES-GCM nonces
come from ``os.urandom`` at every encryption, in whichever process encrypts: nothing random
is inherited across the fork.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from households.models import Household, Member
from households.synthetic.people import _Chunk, _Maker, _Place
from households.synthetic.plan import PARALLEL_FROM, CountyPlan
from households.synthetic.writers import _Encoder

MAX_PROCESSES = 4


@dataclass(frozen=True)
class _Work:
    plan: CountyPlan
    as_of: date
    places: list[_Place]
    first_ids: list[int]  # the first household id of each village
    encoder: _Encoder | None  # COPY: households and members are encoded where they are made

    def village(self, index: int) -> _Chunk:
        maker = _Maker(self.plan, self.as_of, index, len(self.places))
        chunk = maker.village(self.places[index], self.first_ids[index])
        if self.encoder:
            chunk.households = self.encoder.encode(Household, chunk.households)
            chunk.members = self.encoder.encode(Member, chunk.members)
        return chunk


def processes_for(plan: CountyPlan, *, copying: bool) -> int:
    """How many processes generate: ``plan.processes``, or one per core (at most
    ``MAX_PROCESSES``) for a large county written with COPY; one otherwise, and wherever
    processes cannot be forked."""
    if not copying or "fork" not in multiprocessing.get_all_start_methods():
        return 1  # (no fork, e.g. Windows: one process, the same county)
    if plan.processes is not None:
        return max(1, plan.processes)
    if plan.households < PARALLEL_FROM:
        return 1
    return max(1, min(MAX_PROCESSES, os.cpu_count() or 1))


_work: _Work | None = None  # in a generating process: what its parent gave it


def _adopt(work: _Work) -> None:
    global _work
    _work = work


def _village(index: int) -> _Chunk:
    assert _work is not None  # noqa: S101  (set by the pool's initializer)
    return _work.village(index)


def generate(work: _Work, processes: int) -> Iterator[_Chunk]:
    """Every village's rows, in village order."""
    count = len(work.places)
    if processes <= 1 or count <= 1:
        yield from map(work.village, range(count))
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(min(processes, count), initializer=_adopt, initargs=(work,)) as pool:
        # a few villages ahead of the writer, not the whole county in memory
        pending = deque(pool.apply_async(_village, (i,)) for i in range(min(count, processes * 2)))
        following = iter(range(len(pending), count))
        while pending:
            chunk = pending.popleft().get()
            index = next(following, None)
            if index is not None:
                pending.append(pool.apply_async(_village, (index,)))
            yield chunk
