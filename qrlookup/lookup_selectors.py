"""Reads for the villager's result page: one verified household, masked, through the public
selectors of rating and credit (the current rating, the current line, the stored
explanation), and the household's requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from credit import engine as credit_engine
from credit.selectors import household_current_line, line_explain
from fuxiang.masking import mask_name
from households.models import Member
from loans.villager_selectors import Offer, household_offer
from qrlookup.engine import outcome
from qrlookup.models import OfficerRequest
from qrlookup.qrcode_selectors import grid_officer, officer_phone
from rating.selectors import current_rating_of_household, result_explain

EXPLANATION_SECONDS = 3600
# A household's page is kept this long, unless something this app hears of changes first
# (a rating published, an archive or a watch-list match changed, a request made or closed:
# ``pages_changed``). A line suspended or restored by hand shows within this time.
PAGE_SECONDS = 60


@dataclass(frozen=True)
class HouseholdPage:
    """What the result page shows; the parts without a form come rendered (``main_html``,
    ``contact_html``), so a page served from the cache is put together, not rendered again."""

    masked_name: str
    village_name: str
    outcome: outcome.Outcome
    main_html: str
    contact_html: str


def _explanation(result: Any) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(raised, lowered, hints) of a stored result in plain words. A result never changes, so
    its words are cached by its id."""
    key = f"{settings.QRLOOKUP_CACHE_NAMESPACE}:explain:{result.pk}"
    words = cache.get(key)
    if words is None:
        explained = result_explain(result)
        words = (
            tuple(f.text for f in explained.raised),
            tuple(f.text for f in explained.lowered),
            tuple(explained.hints),
        )
        cache.set(key, words, timeout=EXPLANATION_SECONDS)
    return words


def household_outcome(household_id: int, *, as_of: date) -> outcome.Outcome:
    current = current_rating_of_household(household_id)
    if current is None:
        return outcome.outcome_for(rated=False, knocked_out=False, line=None, as_of=as_of)
    line = household_current_line(household_id)
    facts = (
        outcome.LineFacts(
            grade=line.grade,
            amount=line.amount,
            rate_percent=line.rate_percent,
            valid_to=line.valid_to,
            status=line.status,
            online_eligible=line.online_eligible,
        )
        if line is not None
        else None
    )
    decided = outcome.outcome_for(
        rated=True, knocked_out=current.knocked_out, line=facts, as_of=as_of
    )
    if decided.show != outcome.SHOW_LINE or line is None:
        return decided
    raised, lowered, hints = _explanation(current.result)
    limit, rate = line_explain(line)
    return outcome.outcome_for(
        rated=True,
        knocked_out=False,
        line=facts,
        as_of=as_of,
        raised=raised,
        lowered=lowered,
        hints=hints,
        words=tuple(credit_engine.plain_words(limit, rate)),
    )


def _loans_offer(household_id: int, decided: outcome.Outcome, as_of: date) -> Offer | None:
    """Loans' offer to a household whose line is in force (the available amount, the products
    it may apply for, what it signed and drew); none otherwise — the page says nothing more
    to a household without a usable line."""
    if decided.show != outcome.SHOW_LINE:
        return None
    return household_offer(household_id, today=as_of)


def page_forget(*, household_id: int, member_id: int, as_of: date) -> None:
    """Drop one household's kept page (after it applied, signed or drew)."""
    cache.delete(page_cache_keys(household_id=household_id, member_id=member_id, as_of=as_of)[0])


def _grid_contact(grid_id: int | None) -> tuple[str, str]:
    """(name, service phone) of the grid's officer, cached for five minutes."""
    key = f"{settings.QRLOOKUP_CACHE_NAMESPACE}:grid-contact:{grid_id}"
    found = cache.get(key)
    if found is None:
        officer = grid_officer(grid_id)
        found = (officer.display_name if officer else "", officer_phone(officer))
        cache.set(key, found, timeout=300)
    return found


def _generation_key() -> str:
    return f"{settings.QRLOOKUP_CACHE_NAMESPACE}:pages"


def pages_changed_now_and_on_commit() -> None:
    """For writers inside a transaction: stale now, and again once the change is visible
    (a page rebuilt in between from the old rows is not kept)."""

    pages_changed()
    transaction.on_commit(pages_changed)


def pages_changed() -> None:
    """Every cached result page is stale from now on (one counter: the next view of each
    page builds it again)."""
    key = _generation_key()
    cache.add(key, 0, timeout=None)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=None)


def page_cache_keys(*, household_id: int, member_id: int, as_of: date) -> list[str]:
    """The cache keys ``household_page_cached`` reads (a caller may fetch them itself)."""
    ns = settings.QRLOOKUP_CACHE_NAMESPACE
    return [f"{ns}:page:{household_id}:{member_id}:{as_of}", _generation_key()]


def household_page_cached(
    *, household_id: int, member_id: int, as_of: date, found: dict[str, Any] | None = None
) -> HouseholdPage:
    """``household_page`` through the cache: one round trip to Redis when nothing changed
    (none when the caller already fetched ``page_cache_keys`` into ``found``)."""
    page_key, _ = page_cache_keys(household_id=household_id, member_id=member_id, as_of=as_of)
    if found is None:
        found = cache.get_many([page_key, _generation_key()])
    generation = found.get(_generation_key(), 0)
    cached = found.get(page_key)
    if cached is not None and cached[0] == generation:
        return cached[1]
    page = household_page(household_id=household_id, member_id=member_id, as_of=as_of)
    cache.set(page_key, (generation, page), timeout=PAGE_SECONDS)
    return page


def household_page(*, household_id: int, member_id: int, as_of: date) -> HouseholdPage:
    """Everything the result page shows, for the verified household and member only."""
    member = (
        Member.objects.select_related("household__village")
        .only("name", "household__village__name", "household__village__grid_id")
        .get(pk=member_id, household_id=household_id)
    )
    village = member.household.village
    officer_name, phone = _grid_contact(village.grid_id)
    decided = household_outcome(household_id, as_of=as_of)
    contact = {
        "officer_name": officer_name,
        "officer_phone": phone,
        "requests": list(
            OfficerRequest.objects.filter(household_id=household_id).order_by("-created_at")[:5]
        ),
    }
    return HouseholdPage(
        masked_name=mask_name(member.name),
        village_name=village.name,
        outcome=decided,
        # rendered by Django's templates (escaped): safe to put into the page as they are
        main_html=mark_safe(  # noqa: S308
            render_to_string(
                "qrlookup/_result_main.html",
                {"outcome": decided, "offer": _loans_offer(household_id, decided, as_of)},
            )
        ),
        contact_html=mark_safe(  # noqa: S308
            render_to_string("qrlookup/_result_contact.html", {"page": contact})
        ),
    )
