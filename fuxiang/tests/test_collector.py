"""The cyclic collector paused for a batch (``fuxiang.collector``): off while any batch runs,
back as it was once the last one ends, however it ends."""

from __future__ import annotations

import gc

import pytest

from fuxiang.collector import collector_paused


@pytest.fixture(autouse=True)
def _collector_on():
    gc.enable()
    yield
    gc.enable()


def test_a_batch_runs_without_the_collector_and_gives_it_back():
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_batches_give_it_back_when_the_last_ends():
    outer = collector_paused()
    inner = collector_paused()
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)  # the first to start ends first
    assert not gc.isenabled()
    inner.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_failed_batch_gives_it_back_too():
    with pytest.raises(ValueError, match="文件无法读取"), collector_paused():
        raise ValueError("文件无法读取")
    assert gc.isenabled()


def test_a_collector_already_off_stays_off():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()
