"""Reads of what-if simulations (模拟测算): the report comparing a simulation with what is
current, per village and township (set-based SQL), who gains and loses credit, and which
simulations a user sees."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection

from credit.models import CreditLine, CreditSimulation
from fuxiang.accounts import roles
from fuxiang.errors import DomainError
from households.models import BusinessEntity, Village
from households.selectors import household_names
from rating.models import CurrentRating, RatingResult, RunStatus

LIST_LIMIT = 200  # subjects listed as gaining or losing credit (the export has them all)


def _compared(subject: str) -> str:
    """The simulation's results (``s``) and lines (``sl``) beside the subject's current
    rating (``c``) and line (``cl``); ``%s`` is the simulation's run."""
    results = RatingResult._meta.db_table
    lines = CreditLine._meta.db_table
    current = CurrentRating._meta.db_table
    return f"""
        FROM {results} s
        LEFT JOIN {lines} sl ON sl.rating_result_id = s.id
        LEFT JOIN {current} c ON c.{subject} = s.{subject}
        LEFT JOIN {lines} cl ON cl.rating_result_id = c.result_id
        WHERE s.run_id = %s AND s.{subject} IS NOT NULL
    """


def _rows_sql(subject: str) -> str:
    # A subject "has credit" now when its current line is active; in the simulation when the
    # simulation wrote it a line (a carried suspension counts as no credit either way).
    return f"""
        SELECT s.village_id AS village_id,
               COUNT(*) AS subjects,
               SUM(CASE WHEN c.grade IS NULL OR c.grade <> s.grade THEN 1 ELSE 0 END)
                   AS grade_changed,
               SUM(CASE WHEN cl.status = 'active' THEN cl.amount ELSE 0 END) AS limit_before,
               SUM(CASE WHEN sl.status = 'active' THEN sl.amount ELSE 0 END) AS limit_after,
               SUM(CASE WHEN cl.status = 'active' THEN 1 ELSE 0 END) AS lines_before,
               SUM(CASE WHEN sl.status = 'active' THEN 1 ELSE 0 END) AS lines_after,
               SUM(CASE WHEN sl.status = 'active'
                         AND (cl.status IS NULL OR cl.status <> 'active') THEN 1 ELSE 0 END)
                   AS gained,
               SUM(CASE WHEN cl.status = 'active'
                         AND (sl.status IS NULL OR sl.status <> 'active') THEN 1 ELSE 0 END)
                   AS lost
        {_compared(subject)}
        GROUP BY s.village_id
    """


def _changes_sql(subject: str) -> str:
    return f"""
        SELECT s.village_id, s.household_id, s.business_entity_id, c.grade, s.grade,
               CASE WHEN cl.status = 'active' THEN cl.amount END,
               CASE WHEN sl.status = 'active' THEN sl.amount END
        {_compared(subject)}
          AND (COALESCE(sl.status, '') = 'active') <> (COALESCE(cl.status, '') = 'active')
        ORDER BY s.village_id, s.id
    """


def simulation_report(simulation: CreditSimulation) -> dict[str, Any]:
    """Per township and village: subjects rated, how many change grade, total and average
    limits now and in the simulation, who newly gains or loses credit. Computed once the run
    is simulated and kept on the simulation."""
    if simulation.report is not None:
        return simulation.report
    run = simulation.run
    run.refresh_from_db(fields=["status"])
    if run.status != RunStatus.SIMULATED:
        raise DomainError(f"模拟测算尚未完成（{run.get_status_display()}）")
    by_village: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    with connection.cursor() as cursor:
        for subject in ("household_id", "business_entity_id"):
            cursor.execute(_rows_sql(subject), [run.pk])
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                values = dict(zip(columns, row, strict=True))
                sums = by_village[values.pop("village_id")]
                for key, value in values.items():
                    sums[key] += Decimal(value or 0)
    villages = {
        v.pk: v for v in Village.objects.filter(pk__in=by_village).select_related("township")
    }
    gained, lost = simulation_changes(simulation, limit=LIST_LIMIT)
    village_rows = []
    townships: dict[int, dict[str, Any]] = {}
    for village_id, figures in sorted(
        by_village.items(), key=lambda kv: (villages[kv[0]].township.name, villages[kv[0]].name)
    ):
        village = villages[village_id]
        row = _row(figures, name=village.name, township=village.township.name)
        row["village_id"] = village_id
        village_rows.append(row)
        total = townships.setdefault(
            village.township_id, {"figures": defaultdict(Decimal), "name": village.township.name}
        )
        for key, value in figures.items():
            total["figures"][key] += value
    township_rows = [
        _row(t["figures"], name=t["name"], township=t["name"])
        for t in sorted(townships.values(), key=lambda t: t["name"])
    ]
    county: dict[str, Decimal] = defaultdict(Decimal)
    for row in village_rows:
        for key in FIGURES:
            county[key] += Decimal(row[key])
    report = {
        "townships": township_rows,
        "villages": village_rows,
        "county": _row(county, name="合计", township=""),
        "gained": gained,
        "lost": lost,
    }
    simulation.report = report
    simulation.save(update_fields=["report"])
    return report


FIGURES = (
    "subjects",
    "grade_changed",
    "limit_before",
    "limit_after",
    "lines_before",
    "lines_after",
    "gained",
    "lost",
)


def _row(figures: dict[str, Decimal], *, name: str, township: str) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name, "township": township}
    for key in FIGURES:
        value = Decimal(figures.get(key, 0))
        row[key] = str(value.quantize(Decimal("0.01"))) if key.startswith("limit") else int(value)
    for when in ("before", "after"):
        count = row[f"lines_{when}"]
        total = Decimal(row[f"limit_{when}"])
        row[f"average_{when}"] = str((total / count).quantize(Decimal("0.01")) if count else 0)
    row["limit_change"] = str(Decimal(row["limit_after"]) - Decimal(row["limit_before"]))
    return row


def simulation_changes(
    simulation: CreditSimulation, *, limit: int | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(who newly gains credit, who loses it) in the simulation, ``limit`` of each at most."""
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for subject in ("household_id", "business_entity_id"):
            cursor.execute(_changes_sql(subject), [simulation.run_id])
            rows.extend(cursor.fetchall())
    villages = {v.pk: v for v in Village.objects.filter(pk__in={r[0] for r in rows})}
    gained = [_change(r, villages) for r in rows if r[6] is not None]
    lost = [_change(r, villages) for r in rows if r[6] is None]
    return gained[:limit], lost[:limit]


def _change(row: tuple[Any, ...], villages: dict[int, Village]) -> dict[str, Any]:
    village_id, household_id, entity_id, before, after, amount_before, amount_after = row
    return {
        "village": villages[village_id].name if village_id in villages else "",
        "household_id": household_id,
        "entity_id": entity_id,
        "grade_before": before or "",
        "grade_after": after,
        "limit_before": str(amount_before or 0),
        "limit_after": str(amount_after or 0),
    }


def changes_named(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The report's changes, each with the name the pages show (罗家坪村 罗**户, or the village and
    the business's name), read now: a report keeps ids, never names."""
    households = household_names(c["household_id"] for c in changes)
    entities = dict(
        BusinessEntity.objects.filter(
            pk__in={c["entity_id"] for c in changes if c.get("entity_id")}
        ).values_list("pk", "name")
    )
    named = []
    for change in changes:
        if change.get("household_id"):
            name = households.get(change["household_id"], "")
        else:
            name = f"{change['village']} {entities.get(change.get('entity_id') or 0, '')}".strip()
        named.append({**change, "name": name})
    return named


def simulations_visible_to(user: Any) -> Any:
    """Head office and auditors see every simulation; a manager their own."""
    simulations = CreditSimulation.objects.select_related("run", "policy", "started_by")
    if roles.sees_everything(user):
        return simulations
    return simulations.filter(started_by=user)
