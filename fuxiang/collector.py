"""Python's cyclic garbage collector paused for one batch of work that builds many objects and
keeps them to its end (an archive import: every row of the file, parsed and grouped, before
anything is written).

The collector runs whenever enough container objects have been made since its last pass,
and each pass walks the objects still alive: a batch that keeps what it makes is walked again
and again, for nothing. Re-importing 10,000 households unchanged spent ~0.55 s of ~3.1 s in
it (docs/performance.md). Reference counting still frees everything that is not in a cycle;
cycles made meanwhile wait for the next pass after the batch. A batch is bounded (an import by
``Limits``), so the memory it can hold back is too.

The switch is the process's: a batch in another thread of the same process (a threaded web
server) runs without the collector meanwhile too, which costs nothing but the same delay. The
collector comes back when the last batch still running ends, as it was before the first."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_running = 0
_was_enabled = True


@contextmanager
def collector_paused() -> Iterator[None]:
    global _running, _was_enabled
    with _lock:
        if _running == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _was_enabled:
                gc.enable()
