"""Where credit joins the work of the apps to its left, in their transactions."""

from __future__ import annotations

from typing import Any

from credit import holds
from credit.lines import lines_write
from credit.override_reviews import overrides_review_outlived
from credit.policies import policy_require_in_force
from households.signals import watchlist_matches_changed
from rating import hooks


def lines_for_chunk(run: Any, village_id: int) -> None:
    lines_write(run, village_id)


def lines_follow_watchlists(sender: Any, at: Any, **kwargs: Any) -> None:
    holds.lines_follow_watchlists(at=at)


def policy_in_force_for_start(run: Any) -> None:
    policy_require_in_force(as_of=run.as_of)


def holds_for_publish(run: Any) -> None:
    holds.holds_apply(run)


def overrides_for_publish(run: Any) -> None:
    overrides_review_outlived(run)


def connect() -> None:
    from credit.household_columns import LineStandings
    from households import listing

    listing.register(LineStandings())
    hooks.register_chunk_step(lines_for_chunk)
    hooks.register(holds_for_publish)
    hooks.register(overrides_for_publish)
    hooks.register_start_check(policy_in_force_for_start)
    watchlist_matches_changed.connect(
        lines_follow_watchlists, dispatch_uid="credit.lines_follow_watchlists"
    )
