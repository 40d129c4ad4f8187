"""The household list's grade and limit columns and their filters (``households.listing``):
each household's current rating and the credit line made from it. Registered by
``credit.receivers.connect()``; households imports nothing from here."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from credit import engine
from credit.models import CreditLine, LineStatus
from households.listing import NO_LINE, UNRATED, Standing
from rating.models import CurrentRating


class LineStandings:
    grade_choices = [*((grade, grade) for grade in engine.GRADES), (UNRATED, "未评级")]
    line_choices = [*LineStatus.choices, (NO_LINE, "无授信额度")]

    def standings(self, household_ids: list[int]) -> dict[int, Standing]:
        """Two queries: the households' current ratings, then the lines made from them."""
        current = list(
            CurrentRating.objects.filter(household_id__in=household_ids).values_list(
                "household_id", "grade", "knocked_out", "result_id"
            )
        )
        lines = {
            result_id: (pk, amount, status)
            for pk, result_id, amount, status in CreditLine.objects.filter(
                rating_result_id__in=[row[3] for row in current]
            ).values_list("pk", "rating_result_id", "amount", "status")
        }
        labels = dict(LineStatus.choices)
        found = {}
        for household_id, grade, knocked_out, result_id in current:
            line = lines.get(result_id)
            found[household_id] = Standing(
                grade=grade,
                knocked_out=knocked_out,
                line_id=line[0] if line else None,
                limit=line[1] if line else None,
                line_status=line[2] if line else "",
                line_status_label=str(labels.get(line[2], line[2])) if line else "",
            )
        return found

    #: a grade's households, newest change first, as the current ratings' index
    #: ``current_rating_grade_order`` holds them (the household's ``updated_at`` as its last
    #: publish read it)
    grade_order = ("-current_rating__household_updated_at", "-current_rating__household_id")

    def filter(
        self, households: QuerySet[Any], *, line: str = "", grade: str = ""
    ) -> QuerySet[Any]:
        """A line status, and "not rated", are tested row by row through ``CurrentRating``'s
        unique household index (a page walks the list's order until it has its rows), never
        by hashing the county's ratings. A grade joins the households' current ratings: the
        county walks that grade's entries of ``current_rating_grade_order``."""
        current = CurrentRating.objects.filter(household_id=OuterRef("pk"))
        if grade == UNRATED:
            households = households.filter(~Exists(current))
        elif grade:
            households = households.filter(current_rating__grade=grade)
        if not line:
            return households
        lines = CreditLine.objects.filter(rating_result_id=OuterRef("result_id"))
        if line != NO_LINE:
            lines = lines.filter(status=line)
        with_line = current.filter(Exists(lines))
        return households.filter(~Exists(with_line) if line == NO_LINE else Exists(with_line))
