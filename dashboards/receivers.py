"""What the apps on the left tell the dashboards, through their hooks (connected in
``DashboardsConfig.ready()``): a published rating run — grades and credit lines changed —
queues a refresh of the summaries (debounced, after the commit)."""

from __future__ import annotations

from typing import Any


def refresh_after_publish(run: Any) -> None:
    """A publish step: never raises into the publish (the refresh is only queued)."""
    if getattr(run, "simulation", False):
        return
    from dashboards.figures import figures_refresh_soon

    figures_refresh_soon()


def connect() -> None:
    from rating import publish

    publish.register(refresh_after_publish)
