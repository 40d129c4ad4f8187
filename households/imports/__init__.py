"""Importing and exporting archives as spreadsheets (templates in ``columns``).

``import_file`` is the one entry point for the back office, the API of the job runner and
``manage.py import_archives``; ``import_job_run`` runs an uploaded ``ImportJob`` (on a Celery
worker for large files) and keeps its progress and report up to date.
"""

from households.imports.common import ImportResult, RowError
from households.imports.files import import_file, write_report
from households.imports.jobs import (
    archive_files_purge,
    import_job_run,
    import_job_start,
)
from households.models import ImportJob
from households.spreadsheets import SpreadsheetError

__all__ = [
    "ImportJob",
    "ImportResult",
    "RowError",
    "SpreadsheetError",
    "archive_files_purge",
    "import_file",
    "import_job_run",
    "import_job_start",
    "write_report",
]
