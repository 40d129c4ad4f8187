"""The import templates carry an example row, marked as such and never imported."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from households.imports import import_file
from households.imports.columns import COLUMNS, EXAMPLE_HEAD_ID, write_template
from households.models import BusinessEntity, Household, ImportKind, Member
from households.services import resident_id_index
from households.spreadsheets import EXAMPLE_MARK
from households.spreadsheets.writing import append_row
from households.tests.test_imports import family

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", [k.value for k in ImportKind])
def test_each_template_has_an_example_row_marked_as_an_example(kind):
    buffer = io.BytesIO()
    write_template(kind, buffer)
    workbook = load_workbook(buffer)
    example = [c.value for c in workbook["数据"][2]]
    assert str(example[0]).startswith(EXAMPLE_MARK)
    assert sum(1 for value in example if value) >= 5  # a row worth reading
    notes = " ".join(str(c.value) for row in workbook["填写说明"] for c in row if c.value)
    assert "示例" in notes
    assert "忽略" in notes


def _filled_template(rows):
    """The household template as downloaded, example row kept, the officer's rows below."""
    buffer = io.BytesIO()
    write_template(ImportKind.HOUSEHOLDS, buffer)
    workbook = load_workbook(buffer)
    sheet = workbook["数据"]
    headers = [c.header for c in COLUMNS[ImportKind.HOUSEHOLDS]]
    for row in rows:
        append_row(sheet, [row.get(h, "") for h in headers])
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def test_a_template_filled_below_the_example_imports_without_it(org):
    rows = family(org.village_a, size=2)
    result = import_file(
        stream=_filled_template(rows),
        filename="村档案.xlsx",
        kind=ImportKind.HOUSEHOLDS,
        actor=org.officer_a,
    )
    assert (result.created, result.rejected_rows) == (1, 0)
    assert Household.objects.count() == 1
    assert not Member.objects.filter(id_number_index=resident_id_index(EXAMPLE_HEAD_ID)).exists()
    assert not BusinessEntity.objects.exists()


def test_only_the_template_example_is_ignored_not_a_real_row(org):
    """The mark must begin the first cell: a real row is never mistaken for the example."""
    rows = family(org.village_a, size=1)
    rows[0]["姓名"] = "示例：罗志强"  # a strange name, but in another column: still imported
    result = import_file(
        stream=_filled_template(rows),
        filename="村档案.xlsx",
        kind=ImportKind.HOUSEHOLDS,
        actor=org.officer_a,
    )
    assert result.created + result.rejected_rows == 1  # read, not skipped
