"""Importing an archive spreadsheet (``import_file``: the back office, the job runner and
``manage.py import_archives`` all go through it) and writing its rejected rows back out."""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings

from fuxiang.accounts.models import User
from fuxiang.collector import collector_paused
from households import selectors, services
from households.imports.columns import COLUMNS, ERROR_HEADER, ERROR_ROW_HEADER, write_rows
from households.imports.common import ImportResult, VillageResolver
from households.imports.entity_rows import import_entities
from households.imports.household_rows import import_households
from households.models import Household, ImportKind, Village
from households.spreadsheets import Limits, read_table


def _scope(actor: User | None) -> tuple[Any, Any]:
    """(editable villages, editable households); ``actor=None`` is the command line: all."""
    if actor is None:
        return Village.objects.all(), Household.objects.all()
    return selectors.villages_editable_by(actor), selectors.households_editable_by(actor)


@collector_paused()
def import_file(
    *,
    stream: IO[bytes],
    filename: str,
    kind: str,
    actor: User | None,
    dry_run: bool = False,
    job_id: int | None = None,
    progress: Any = None,
) -> ImportResult:
    """Validate every row and write the valid ones (households: per whole household). Each ID
    refused because another archive holds it is audited (``pii.duplicate_refused``), in a dry
    run too.

    Raises ``SpreadsheetError`` when the file as a whole is unusable (not a spreadsheet, wrong
    template, missing columns). Python's cyclic collector is paused meanwhile
    (``fuxiang.collector``): every row is kept until the file has been read through."""
    columns = COLUMNS[kind]
    table = read_table(
        stream,
        filename=filename,
        required=[c.header for c in columns if c.required],
        limits=Limits.from_settings(settings),
    )
    villages, households = _scope(actor)
    resolver = VillageResolver(villages, everything=Village.objects.all())
    if kind == ImportKind.HOUSEHOLDS:
        result = import_households(
            table.rows,
            actor=actor,
            resolver=resolver,
            editable=resolver.editable,
            dry_run=dry_run,
            job_id=job_id,
            progress=progress,
        )
    else:
        result = import_entities(
            table.rows,
            kind=kind,
            actor=actor,
            resolver=resolver,
            households_scope=households.values("pk"),
            dry_run=dry_run,
            job_id=job_id,
            progress=progress,
        )
    # after the import (and a dry run's rollback), so the events stay
    services.duplicate_refusals_record(actor=actor, refusals=result.refusals)
    return result


def write_report(result: ImportResult, stream: IO[bytes]) -> int:
    """The rejected rows as a re-importable workbook: the template's columns with the values
    as given, then the original row number and every reason."""
    rows = (
        [
            *row.raw,
            row.number,
            "；".join(
                str(e.message) if not e.column else f"{e.column}：{e.message}" for e in row.errors
            ),
        ]
        for row in result.rejected
    )
    return write_rows(result.kind, rows, stream, extra_headers=[ERROR_ROW_HEADER, ERROR_HEADER])
