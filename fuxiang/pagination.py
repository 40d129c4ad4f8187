"""Pages of long lists at county scale (DESIGN §5: any list ≤ 100 ms at any depth).

``BoundedPaginator`` is Django's paginator with two changes that keep a page's cost flat:

- it counts at most ``cap`` rows (``SELECT count(*) FROM (… LIMIT cap + 1)``): a list of the
  whole county says "1,000+ 条" instead of paying an exact count of 222,200 households on
  every page. Under the cap the count is exact, as before;
- it takes a page's rows in two steps: first the ids of the page (a query the list's index
  answers alone, skipping the rows before it), then the rows of those ids with their joins —
  or ``fill(ids)`` for rows built by the caller (names, grades, lines: only for the page).

Pages past the counted ones can still be opened (``?page=1000``): the page reads one row more
than it shows to know whether there is a next page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.db.models.query import ModelIterable
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

COUNT_CAP = 1000
#: the deepest page that can be asked for: an OFFSET is read row by row, even from an index
MAX_PAGE = 20_000


class BoundedPage(Page):
    def __init__(self, object_list: Any, number: int, paginator: Any, *, more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


class BoundedPaginator(Paginator):
    def __init__(
        self,
        object_list: Any,
        per_page: int,
        *,
        cap: int = COUNT_CAP,
        fill: Callable[[list[Any]], Sequence[Any]] | None = None,
        counted: bool = True,
    ) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap
        self.fill = fill
        self.counted = counted

    @cached_property
    def count(self) -> int:
        """Exact up to ``cap``; ``cap + 1`` means "more than cap". Not ``counted``: a filter
        that no index answers alone (each row tested for the filter) is not counted at all —
        ``cap + 1``, shown as no total."""
        if not self.counted:
            return self.cap + 1
        rows = self.object_list
        if hasattr(rows, "order_by"):  # a queryset: any cap + 1 rows will do, in no order
            return int(rows.order_by()[: self.cap + 1].count())
        return len(rows[: self.cap + 1])

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @property
    def count_label(self) -> str:
        if not self.counted:
            return ""
        return f"{self.cap:,}+" if self.capped else f"{self.count:,}"

    @cached_property
    def num_pages(self) -> int:
        """The pages counted (a lower bound when ``capped``)."""
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        return max(1, math.ceil(self.count / self.per_page))

    def validate_number(self, number: Any) -> int:
        try:
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger("页码必须是整数") from exc
        if number < 1:
            raise EmptyPage("页码不能小于1")
        if number > (MAX_PAGE if self.capped else self.num_pages):
            raise EmptyPage("没有这一页")
        return number

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = self._rows(bottom, bottom + self.per_page + 1)
        if not rows and number > 1:
            raise EmptyPage("没有这一页")
        more = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if self.fill is not None:
            rows = list(self.fill(rows))
        return BoundedPage(rows, number, self, more=more)

    def _rows(self, bottom: int, top: int) -> list[Any]:
        """The rows bottom..top. Of a queryset of model instances, in two steps: the ids of
        the page first (the list's filters and order, no joins: the rows skipped before the
        page are only index entries), then those rows with their joins."""
        rows = self.object_list
        if not (
            isinstance(rows, QuerySet)
            and rows._iterable_class is ModelIterable
            and not rows.query.distinct
        ):
            return list(rows[bottom:top])
        ids = list(rows.values_list("pk", flat=True)[bottom:top])
        found = {row.pk: row for row in rows.order_by().filter(pk__in=ids)}
        return [found[pk] for pk in ids if pk in found]

    def get_page(self, number: Any) -> Page:
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(min(self.num_pages, MAX_PAGE) if self.count else 1)


class BoundedPageNumberPagination(PageNumberPagination):
    """The API's pages (``?page=N``), shaped as before — ``count``, ``next``, ``previous``,
    ``results`` — with ``count`` counted up to ``COUNT_CAP`` and ``count_exact`` saying
    whether it is the whole count (``false``: there are more than ``count``; follow ``next``)."""

    django_paginator_class = BoundedPaginator

    def get_paginated_response(self, data: Any) -> Response:
        paginator = self.page.paginator
        return Response(
            {
                "count": min(paginator.count, paginator.cap)
                if paginator.capped
                else paginator.count,
                "count_exact": not paginator.capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = (
            f"行数，最多数到{COUNT_CAP}；count_exact 为 false 时实际更多"
        )
        response["properties"]["count_exact"] = {"type": "boolean", "example": True}
        response["required"] = [*response.get("required", []), "count_exact"]
        return response
