"""Importing archive spreadsheets: good rows in, bad rows reported, nothing half-saved."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from fuxiang import crypto
from fuxiang.audit.models import AuditAction, AuditEvent
from households import services
from households.imports import SpreadsheetError, import_file, write_report
from households.imports import household_rows as household_import
from households.imports.columns import COLUMNS, write_template
from households.models import BusinessEntity, Household, ImportKind, Member
from households.spreadsheets.writing import append_row
from households.tests.factories import (
    BusinessEntityFactory,
    HouseholdFactory,
    next_resident_id,
    next_uscc,
)

pytestmark = pytest.mark.django_db
HEADERS = [c.header for c in COLUMNS[ImportKind.HOUSEHOLDS]]


def person(head_id, village, relation="户主", **values):
    row = {
        "户主身份证号码": head_id,
        "与户主关系": relation,
        "姓名": values.pop("姓名", "罗志强"),
        "身份证号码": values.pop("身份证号码", head_id),
        "手机号码": values.pop("手机号码", ""),
    }
    if relation == "户主":
        row.update({"村编码": village.code, "村民小组": "3组", "种植业收入（元/年）": "4.5万",
                    "工资性收入（元/年）": "12,000", "年生产生活支出（元/年）": "15000",
                    "同意评级授信": "是"})  # fmt: skip
    row.update(values)
    return row


def family(village, *, size=3):
    head = next_resident_id()
    rows = [person(head, village, 手机号码="13907330001")]
    for n in range(size - 1):
        name = f"罗小{'一二三四五六七八九十'[n % 10]}"
        rows.append(person(head, village, "子女", 姓名=name, 身份证号码=next_resident_id()))
    return rows


def xlsx(rows, headers=HEADERS):
    """The rows as an officer's workbook; text is text (as Excel stores a value typed with a
    leading apostrophe), even "=1+1"."""
    workbook = Workbook()
    sheet = workbook.active
    append_row(sheet, headers)
    for row in rows:
        append_row(sheet, [row.get(h, "") for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def run(rows, actor, **kwargs):
    return import_file(
        stream=xlsx(rows), filename="村档案.xlsx", kind=ImportKind.HOUSEHOLDS, actor=actor,
        **kwargs,
    )  # fmt: skip


def test_template_has_the_headers_and_an_instructions_sheet():
    buffer = io.BytesIO()
    write_template(ImportKind.HOUSEHOLDS, buffer)
    workbook = load_workbook(buffer)
    assert workbook.sheetnames == ["数据", "填写说明"]
    headers = [c.value for c in workbook["数据"][1]]
    assert headers[:4] == ["户主身份证号码*", "与户主关系*", "姓名*", "身份证号码*"]
    assert "种植业收入（元/年）" in headers


def test_good_households_are_imported_with_members_and_encrypted_ids(org):
    rows = family(org.village_a, size=3) + family(org.village_a, size=2)
    result = run(rows, org.officer_a)
    assert (result.created, result.rejected_rows) == (2, 0)
    household = Household.objects.get(
        members__id_number_index=services.resident_id_index(rows[0]["身份证号码"])
    )
    assert household.members.count() == 3
    assert household.income_crops == 45000
    assert household.income_wages == 12000
    assert household.village_group.name == "3组"
    assert household.rating_consent
    head = household.members.get(relation="head")
    assert (
        crypto.decrypt(head.id_number_encrypted, column=services.ID_COLUMN) == rows[0]["身份证号码"]
    )
    assert head.phone_masked == "139****0001"


def test_reimporting_the_same_file_changes_nothing(org):
    rows = family(org.village_a) + family(org.village_a)
    run(rows, org.officer_a)
    before = list(Household.objects.values_list("pk", "updated_at").order_by("pk"))
    again = run(rows, org.officer_a)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert list(Household.objects.values_list("pk", "updated_at").order_by("pk")) == before
    assert Member.objects.count() == 6


def test_a_changed_value_updates_only_that_household(org):
    first, second = family(org.village_a), family(org.village_a)
    run(first + second, org.officer_a)
    first[0]["种植业收入（元/年）"] = "60000"
    result = run(first + second, org.officer_a)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    head_index = services.resident_id_index(first[0]["身份证号码"])
    assert Household.objects.get(members__id_number_index=head_index).income_crops == 60000


def test_bad_rows_are_reported_with_row_numbers_and_good_households_still_import(org):
    good = family(org.village_a)
    bad_id = family(org.village_a)
    valid = bad_id[1]["身份证号码"]
    bad_id[1]["身份证号码"] = valid[:17] + ("1" if valid[17] != "1" else "2")  # wrong check char
    negative = family(org.village_a)
    negative[0]["养殖业收入（元/年）"] = "-500"
    headless = family(org.village_a)[1:]  # no 户主 row
    result = run(good + bad_id + negative + headless, org.officer_a)
    assert result.created == 1
    assert Household.objects.count() == 1
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert messages[(6, "身份证号码")].startswith("身份证号码校验码不正确")
    assert messages[(8, "养殖业收入（元/年）")] == "不能为负数"
    assert "没有户主行" in messages[(11, "")]
    # The other rows of a rejected household say why they were not imported either.
    assert "整户未导入" in messages[(5, "")]
    assert sorted({row.number for row in result.rejected}) == list(range(5, 13))


def test_the_error_report_is_itself_re_importable_once_fixed(org):
    bad = family(org.village_a)
    bad[0]["工资性收入（元/年）"] = "一万"
    result = run(bad, org.officer_a)
    report = io.BytesIO()
    write_report(result, report)
    report.seek(0)
    sheet = load_workbook(report).active
    headers = [c.value for c in sheet[1]]
    assert headers[-2:] == ["原行号", "错误说明"]
    rows = [dict(zip([h.rstrip("*") for h in headers], [c.value for c in r], strict=True))
            for r in sheet.iter_rows(min_row=2)]  # fmt: skip
    assert "工资性收入（元/年）" in rows[0]["错误说明"]
    rows[0]["工资性收入（元/年）"] = "10000"
    fixed = run(rows, org.officer_a)
    assert (fixed.created, fixed.rejected_rows) == (1, 0)


def test_the_error_report_writes_formula_like_text_as_text_and_numbers_as_numbers(org):
    """Rejected rows go back to the officer as given: an occupation "=1+1" or a phone "+86…" is
    text (never a formula), a negative amount a number, and the fixed report imports them back."""
    bad = family(org.village_a)
    bad[0].update({"职业": "=1+1", "手机号码": "+86139073300019", "存款（元）": -500})
    result = run(bad, org.officer_a)
    report = io.BytesIO()
    write_report(result, report)
    report.seek(0)
    sheet = load_workbook(report).active
    headers = [c.value.rstrip("*") for c in sheet[1]]
    head = dict(zip(headers, sheet[2], strict=True))
    assert [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"] == []
    assert (head["职业"].value, head["职业"].data_type, head["职业"].quotePrefix) == (
        "=1+1", "s", True
    )  # fmt: skip
    assert (head["手机号码"].value, head["手机号码"].data_type) == ("+86139073300019", "s")
    assert (head["存款（元）"].value, head["存款（元）"].data_type) == (-500, "n")

    rows = [
        dict(zip(headers, [c.value for c in r], strict=True)) for r in sheet.iter_rows(min_row=2)
    ]
    rows[0].update({"手机号码": "+8613907330001", "存款（元）": 500})
    fixed = run(rows, org.officer_a)
    assert (fixed.created, fixed.rejected_rows) == (1, 0)
    head_member = Member.objects.get(relation="head")
    assert head_member.occupation == "=1+1"
    assert crypto.decrypt(head_member.phone_encrypted, column=services.PHONE_COLUMN) == (
        "13907330001"
    )


def test_duplicate_ids_in_one_file_and_ids_archived_in_another_grid_are_refused(org):
    elsewhere = HouseholdFactory(village=org.village_b)
    their_id = crypto.decrypt(
        elsewhere.members.get().id_number_encrypted, column=services.ID_COLUMN
    )
    rows = family(org.village_a)
    rows[2]["身份证号码"] = rows[1]["身份证号码"]
    takeover = [person(their_id, org.village_a, 姓名="冒名")]
    result = run(rows + takeover, org.officer_a)
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert messages[(4, "身份证号码")] == "与第3行的身份证号码重复"
    assert "其他网格" in messages[(5, "身份证号码")]
    assert Household.objects.count() == 1  # only the factory's


@pytest.mark.parametrize("dry_run", [True, False])
def test_an_id_archived_elsewhere_is_refused_and_the_refusal_audited(org, dry_run):
    """Issue 10, finding 8: a dry run tells an officer which IDs are archived in other grids;
    each such refusal is audited, in a dry run too (after its rollback)."""
    elsewhere = HouseholdFactory(village=org.village_b)
    their_id = crypto.decrypt(
        elsewhere.members.get().id_number_encrypted, column=services.ID_COLUMN
    )
    rows = family(org.village_a)
    rows[2]["身份证号码"] = their_id
    result = run(rows, org.officer_a, dry_run=dry_run, job_id=None)
    assert "另一户" in {e.row: e.message for e in result.errors}[4]
    assert Household.objects.count() == 1  # only the factory's
    event = AuditEvent.objects.get(action=AuditAction.DUPLICATE_REFUSED)
    assert (event.actor, event.target_id) == (org.officer_a, str(elsewhere.pk))
    assert event.target_label == f"{their_id[:3]}{'*' * 11}{their_id[-4:]}"
    assert event.details == {
        "via": "import", "import_job": None, "dry_run": dry_run, "row": 4, "outside_scope": True
    }  # fmt: skip


def test_an_entity_of_another_grid_refused_by_an_import_is_audited(org):
    theirs = BusinessEntityFactory(village=org.village_b)
    headers = [c.header for c in COLUMNS[ImportKind.ENTERPRISES]]
    rows = [{"主体类型": "小微企业", "名称": "冒名公司", "统一社会信用代码": theirs.uscc,
             "法定代表人/经营者": "罗大", "法定代表人身份证号码": next_resident_id(),
             "村编码": org.village_a.code, "行业": "商贸"}]  # fmt: skip
    result = import_file(
        stream=xlsx(rows, headers), filename="企业.xlsx", kind=ImportKind.ENTERPRISES,
        actor=org.officer_a, dry_run=True,
    )  # fmt: skip
    assert "其他网格" in result.errors[0].message
    event = AuditEvent.objects.get(action=AuditAction.DUPLICATE_REFUSED)
    assert (event.target_type, event.target_id) == ("households.businessentity", str(theirs.pk))
    assert theirs.uscc not in event.target_label
    assert event.details["key"] == "uscc"


def test_officer_cannot_import_into_another_grid(org):
    result = run(family(org.village_b), org.officer_a)
    assert result.created == 0
    assert "不在您负责的网格内" in result.errors[0].message
    assert not Household.objects.exists()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_csv_in_gbk_or_utf8_imports(org, encoding):
    rows = family(org.village_a)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=HEADERS)
    writer.writeheader()
    writer.writerows(rows)
    result = import_file(
        stream=io.BytesIO(text.getvalue().encode(encoding)),
        filename="档案.csv",
        kind=ImportKind.HOUSEHOLDS,
        actor=org.officer_a,
    )
    assert (result.created, result.rejected_rows) == (1, 0)
    assert Member.objects.filter(name="罗志强").exists()


def test_a_crash_in_the_middle_leaves_no_half_imported_household(org, monkeypatch):
    monkeypatch.setattr(household_import, "CHUNK_HOUSEHOLDS", 1)
    original = household_import._members_insert  # the members' COPY (bulk_create on SQLite)
    calls = {"n": 0}

    def crash_on_second_household(members, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return original(members, *args, **kwargs)

    monkeypatch.setattr(household_import, "_members_insert", crash_on_second_household)
    with pytest.raises(RuntimeError):
        run(family(org.village_a) + family(org.village_a) + family(org.village_a), org.officer_a)
    households = list(Household.objects.all())
    assert len(households) == 1
    assert households[0].members.count() == 3


def test_dry_run_counts_exactly_and_writes_nothing(org):
    result = run(family(org.village_a) + family(org.village_a), org.officer_a, dry_run=True)
    assert (result.created, result.dry_run) == (2, True)
    assert not Household.objects.exists()
    assert not Member.objects.exists()


def test_wrong_template_is_refused_as_a_whole(org):
    with pytest.raises(SpreadsheetError, match="缺少必需的列"):
        import_file(
            stream=xlsx([{"名称": "x"}], headers=["名称", "统一社会信用代码"]),
            filename="x.xlsx",
            kind=ImportKind.HOUSEHOLDS,
            actor=org.officer_a,
        )


def test_entities_import_by_uscc_idempotently(org):
    head = HouseholdFactory(village=org.village_a)
    head_id = crypto.decrypt(head.members.get().id_number_encrypted, column=services.ID_COLUMN)
    headers = [c.header for c in COLUMNS[ImportKind.ENTITIES]]
    rows = [
        {"主体类型": "农民专业合作社", "名称": "罗家坪油茶专业合作社",
         "统一社会信用代码": next_uscc("93"), "法定代表人/经营者": "罗大",
         "法定代表人身份证号码": next_resident_id(),
         "村编码": org.village_a.code, "行业": "油茶种植", "年销售收入（元）": "120万",
         "合作社成员数": "86", "所属农户户主身份证号码": head_id},
        {"主体类型": "种养大户", "名称": "罗二养猪场", "法定代表人/经营者": "罗二",
         "法定代表人身份证号码": next_resident_id(), "村编码": org.village_a.code,
         "行业": "生猪养殖"},
        {"主体类型": "家庭农场", "名称": "坏代码农场", "统一社会信用代码": "91430223MA4L12345X",
         "法定代表人/经营者": "罗三", "法定代表人身份证号码": next_resident_id(),
         "村编码": org.village_a.code, "行业": "水稻"},
    ]  # fmt: skip

    def go():
        return import_file(
            stream=xlsx(rows, headers), filename="主体.xlsx", kind=ImportKind.ENTITIES,
            actor=org.officer_a,
        )  # fmt: skip

    first = go()
    assert (first.created, first.rejected_rows) == (2, 1)
    assert first.errors[0].row == 4
    assert first.errors[0].column == "统一社会信用代码"
    cooperative = BusinessEntity.objects.get(kind="cooperative")
    assert cooperative.annual_revenue == 1200000
    assert list(cooperative.owner_households.all()) == [head]
    second = go()
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert BusinessEntity.objects.count() == 2


def test_a_blank_cell_keeps_the_archived_value_on_re_import(org):
    rows = family(org.village_a)
    run(rows, org.officer_a)
    rows[0]["种植业收入（元/年）"] = ""
    rows[0]["同意评级授信"] = ""
    result = run(rows, org.officer_a)
    assert (result.updated, result.unchanged) == (0, 1)
    household = Household.objects.get()
    assert household.income_crops == 45000
    assert household.rating_consent


def test_misplaced_thousands_separators_are_refused(org):
    rows = family(org.village_a)
    rows[0]["存款（元）"] = "1,2,3"
    result = run(rows, org.officer_a)
    assert result.errors[0].column == "存款（元）"
    assert "千分位" in result.errors[0].message


def test_households_still_import_after_a_clash_forces_one_by_one_writing(org, monkeypatch):
    """A chunk rolled back by an IntegrityError is written again household by household; the
    village groups the failed attempt created are gone and must be made again."""
    from django.db import IntegrityError

    original = Member.objects.bulk_create
    calls = {"n": 0}

    def clash_once(objs, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise IntegrityError("duplicate key value violates unique constraint")
        return original(objs, *args, **kwargs)

    monkeypatch.setattr(Member.objects, "bulk_create", clash_once)
    first, second = family(org.village_a), family(org.village_a)
    first[0]["村民小组"] = second[0]["村民小组"] = "9组"
    result = run(first + second, org.officer_a)
    assert (result.created, result.rejected_rows) == (2, 0)
    assert set(Household.objects.values_list("village_group__name", flat=True)) == {"9组"}


def test_one_operator_may_run_a_family_farm_and_be_a_large_grower(org):
    headers = [c.header for c in COLUMNS[ImportKind.ENTITIES]]
    operator = next_resident_id()
    rows = [
        {"主体类型": kind, "名称": name, "法定代表人/经营者": "罗大",
         "法定代表人身份证号码": operator, "村编码": org.village_a.code, "行业": "水稻",
         **({"统一社会信用代码": next_uscc("92")} if kind == "家庭农场" else {})}
        for kind, name in (("家庭农场", "罗大家庭农场"), ("种养大户", "罗大种粮大户"))
    ]  # fmt: skip
    result = import_file(
        stream=xlsx(rows, headers), filename="主体.xlsx", kind=ImportKind.ENTITIES,
        actor=org.officer_a,
    )  # fmt: skip
    assert (result.created, result.rejected_rows) == (2, 0)


# --- issue 16 (12): what a real file brought up ------------------------------------------------


def test_an_id_in_two_households_of_one_file_keeps_being_reported_as_a_duplicate(org):
    """The person heads one household and is also listed in another: the first keeps
    importing (unchanged), the second is refused on its ID column every time, never with
    "someone archived it meanwhile"."""
    shared = next_resident_id()
    first = [person(shared, org.village_a, 姓名="罗大")]
    other_head = next_resident_id()
    second = [
        person(other_head, org.village_a, 姓名="罗二"),
        person(other_head, org.village_a, "配偶", 姓名="罗大", 身份证号码=shared),
    ]
    rows = first + second
    for attempt in range(2):
        result = run(rows, org.officer_a)
        assert (result.created, result.unchanged) == ((1, 0) if attempt == 0 else (0, 1))
        assert result.rejected_rows == 2
        errors = {(e.row, e.column): e.message for e in result.errors}
        assert errors[(4, "身份证号码")] == "与第2行的身份证号码重复"
        assert not any("同时建档" in e.message for e in result.errors)
    assert Member.objects.count() == 1


def test_messages_about_ids_show_no_digits_of_the_id(org):
    rows = family(org.village_a, size=2)
    rows[1]["身份证号码"] = "430223199002300011"  # 30 February
    result = run(rows, org.officer_a)
    message = next(e.message for e in result.errors if e.row == 3)
    assert message == "身份证号码中的出生日期不是有效日期（请核对第7–14位）"
    assert "19900230" not in str(result.errors)
    assert "430" not in message


def test_a_phone_written_with_country_code_and_spaces_is_accepted(org):
    rows = family(org.village_a, size=1)
    rows[0]["手机号码"] = "+86 138 0013 8000"
    result = run(rows, org.officer_a)
    assert (result.created, result.rejected_rows) == (1, 0)
    assert Member.objects.get().phone_masked == "138****8000"


def test_an_id_column_spreadsheet_software_turned_into_numbers_says_to_format_it_as_text(org):
    rows = family(org.village_a, size=2)
    rows[1]["身份证号码"] = float(rows[1]["身份证号码"][:17] + "0")  # a number cell
    rows[0]["工资性收入（元/年）"] = "12000"
    result = run(rows, org.officer_a)
    message = next(e.message for e in result.errors if e.row == 3)
    assert "“文本”格式" in message
    assert "校验码" not in message
    csv_like = family(org.village_a, size=1)
    csv_like[0]["户主身份证号码"] = csv_like[0]["身份证号码"] = "4.30223E+17"
    result = run(csv_like, org.officer_a)
    assert all("“文本”格式" in e.message for e in result.errors if e.column == "身份证号码")


def test_names_in_a_file_are_normalised_or_refused(org):
    rows = family(org.village_a, size=3)
    rows[0]["姓名"] = "罗\u200b志强"
    rows[2]["姓名"] = "王😀强"
    refused = run(rows, org.officer_a)
    assert [(e.row, e.column) for e in refused.errors if e.row == 4] == [(4, "姓名")]
    rows[2]["姓名"] = "王强"
    assert run(rows, org.officer_a).created == 1
    assert Member.objects.get(relation="head").name == "罗志强"


def test_an_entity_row_reports_every_error_it_has(org):
    headers = [c.header for c in COLUMNS[ImportKind.ENTERPRISES]]
    rows = [
        {"主体类型": "个体工商户", "名称": "罗记小卖部", "统一社会信用代码": "91430223MA4L12345X",
         "法定代表人/经营者": "罗😀", "法定代表人身份证号码": "430223199002300011",
         "村编码": "no-such-village", "行业": "零售", "年销售收入（元）": "很多"},
    ]  # fmt: skip
    result = import_file(
        stream=xlsx(rows, headers), filename="企业.xlsx", kind=ImportKind.ENTERPRISES,
        actor=org.officer_a,
    )  # fmt: skip
    columns = {e.column for e in result.errors}
    assert {
        "年销售收入（元）",
        "村编码",
        "统一社会信用代码",
        "法定代表人身份证号码",
        "法定代表人/经营者",
    } <= columns


def test_a_command_line_import_is_audited(org, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "村档案.xlsx"
    path.write_bytes(xlsx(family(org.village_a, size=2)).getvalue())
    call_command("import_archives", str(path), stdout=io.StringIO())
    event = AuditEvent.objects.get(action=AuditAction.IMPORT)
    assert (event.actor_label, event.target_label) == ("manage.py", "村档案.xlsx")
    assert "新建1" in event.details["import"]


def test_unchanged_households_are_skipped_without_a_write_and_a_changed_one_is_imported(org):
    families = [family(org.village_a) for _ in range(4)]
    rows = [row for f in families for row in f]
    run(rows, org.officer_a)
    before = dict(Household.objects.values_list("pk", "updated_at"))
    events = AuditEvent.objects.count()
    # a member's phone, another household's member's occupation, a third one's new member
    families[0][1]["手机号码"] = "13907330099"
    families[1][2]["职业"] = "务工"
    families[2].append(
        person(
            families[2][0]["户主身份证号码"],
            org.village_a,
            "子女",
            姓名="罗新",
            身份证号码=next_resident_id(),
        )
    )
    rows = [row for f in families for row in f]
    result = run(rows, org.officer_a)
    assert (result.created, result.updated, result.unchanged) == (0, 3, 1)
    after = dict(Household.objects.values_list("pk", "updated_at"))
    assert sum(after[pk] != before[pk] for pk in before) == 3
    assert AuditEvent.objects.count() == events + 3
    member = Member.objects.get(
        id_number_index=services.resident_id_index(families[0][1]["身份证号码"])
    )
    assert member.phone_masked == "139****0099"
    assert Member.objects.count() == 13


def test_a_household_edited_since_its_import_is_restored_by_re_importing_the_file(org):
    rows = family(org.village_a)
    run(rows, org.officer_a)
    household = Household.objects.get()
    services.household_update(
        actor=org.head_office, household=household, fields={"income_crops": 1000}
    )
    result = run(rows, org.officer_a)
    assert (result.updated, result.unchanged) == (1, 0)
    assert Household.objects.get().income_crops == 45000
    head = household.members.get(relation="head")
    services.member_update(actor=org.head_office, member=head, fields={"phone": "13800000000"})
    result = run(rows, org.officer_a)
    assert (result.updated, result.unchanged) == (1, 0)
    assert household.members.get(relation="head").phone_masked == "139****0001"
    assert run(rows, org.officer_a).unchanged == 1


def test_households_copied_in_keep_nulls_json_details_and_their_history(org, postgres):
    """New households, members and audit events go in with COPY (households.imports.copying):
    NULLs stay NULL, JSON stays JSON, and the archive history trigger records the inserts."""
    from households.models import HouseholdHistory, MemberHistory

    rows = family(org.village_a)
    rows[0]["同意评级授信"] = "否"
    result = import_file(
        stream=xlsx(rows), filename="村档案.xlsx", kind=ImportKind.HOUSEHOLDS, actor=None
    )
    assert result.created == 1
    household = Household.objects.get()
    assert household.created_by is None
    assert household.consent_recorded_at is None
    assert household.village_group.name == "3组"
    assert household.created_at == household.updated_at is not None
    event = AuditEvent.objects.get(action=AuditAction.HOUSEHOLD_CREATE)
    assert event.details == {"via": "import", "import_job": None}
    assert event.ip_address is None
    assert event.target_id == str(household.pk)
    assert HouseholdHistory.objects.filter(pgh_obj_id=household.pk).count() == 1
    assert MemberHistory.objects.filter(household_id=household.pk).count() == 3
    later = _archive_another(org)
    assert later.pk > household.pk  # the sequence moved past the ids taken for the COPY


def _archive_another(org):
    from datetime import date

    from households.identity import make_resident_id
    from households.models import Relation

    return services.household_create(
        actor=org.officer_a,
        village=org.village_a,
        head={
            "name": "谭新户",
            "id_number": make_resident_id("430221", date(1985, 3, 4), 21),
            "relation": Relation.HEAD,
        },
        fields={},
    )


def test_copy_writes_what_bulk_create_writes(org, postgres):
    """The COPY prepares the values it knows the ORM leaves as they are (text, numbers,
    booleans, finite decimals, dates, aware datetimes) without asking the ORM; everything
    else — a decimal given as a string, an integer field given "7", NULLs, JSON — still goes
    through ``get_db_prep_save``. Stored rows are the same either way."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from django.utils import timezone

    from households.imports.copying import copy_insert

    def households(prefix):
        return [
            Household(village=org.village_a, address=f"{prefix}1号", house_value=Decimal("1.50"),
                      deposits="2000.5", livestock_heads=3, other_lenders_count="7",
                      rating_consent=True, consent_recorded_at=datetime(2026, 5, 1, 8, tzinfo=UTC)),
            Household(village=org.village_a, address=f"{prefix}2号", income_crops=Decimal("-0.00"),
                      is_dishonest_debtor=False, consent_recorded_at=None),
        ]  # fmt: skip

    now = timezone.now()
    through_orm = Household.objects.bulk_create(households("甲"))
    copied = households("乙")
    copy_insert(Household, copied, now=now, ids=True)
    fields = [f.attname for f in Household._meta.concrete_fields]
    skip = {"id", "address", "created_at", "updated_at"}
    for orm, copy in zip(through_orm, copied, strict=True):
        stored = Household.objects.values(*fields)
        a, b = stored.get(pk=orm.pk), stored.get(pk=copy.pk)
        assert {k: v for k, v in a.items() if k not in skip} == {
            k: v for k, v in b.items() if k not in skip
        }
        assert str(b["deposits"]) in ("2000.50", "0.00")
    copied_member = Member(household_id=copied[0].pk, village_id=org.village_a.pk,
                           name="罗乙", relation="户主",
                           id_number_encrypted="x", id_number_index="i" * 64,
                           id_number_masked="4302**********0011", birth_date=date(1980, 1, 2),
                           sex="M")  # fmt: skip
    copy_insert(Member, [copied_member], now=now, ids=False)
    member = Member.objects.get(household_id=copied[0].pk)
    assert (member.birth_date, member.sex, member.created_at) == (date(1980, 1, 2), "M", now)
    assert member.phone_index == ""
    assert member.is_public_employee is False


def test_copy_values_takes_the_orm_for_a_null_in_a_text_column(org, postgres):
    """CSV cannot carry a NULL in a text column, so ``copy_insert`` hands such rows to
    ``bulk_create``; rows given to ``copy_values`` are plain values, not model instances, and
    must reach ``bulk_create`` as instances (the admin log's ``object_id``: nullable text)."""
    from django.contrib.admin.models import LogEntry
    from django.utils import timezone

    from households.imports.copying import copy_values

    row = {"user_id": org.head_office.pk, "object_id": None, "object_repr": "甲", "action_flag": 1}
    copy_values(LogEntry, [row, {**row, "object_id": "7"}], now=timezone.now())
    assert set(LogEntry.objects.values_list("object_id", flat=True)) == {None, "7"}


def test_copy_insert_writes_a_model_of_one_column(postgres):
    """One column: its value is the row's one value, not a sequence to unpack."""
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from households.imports.copying import copy_insert

    copy_insert(Group, [Group(name="网格员"), Group(name="支行")], now=timezone.now(), ids=False)
    assert sorted(Group.objects.values_list("name", flat=True)) == ["支行", "网格员"]
