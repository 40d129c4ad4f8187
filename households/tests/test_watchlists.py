"""Watch lists: import of official lists, matching against the archives, lifting, the nightly
re-check, and the pages — asserted as head office, an auditor or an officer would check them."""

from __future__ import annotations

import csv
import io
import time
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from fuxiang import crypto
from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.errors import DomainError
from households import tasks, watchlist_matching, watchlist_selectors, watchlists
from households.identity import make_resident_id
from households.models import WatchlistEntry, WatchlistKind, WatchlistMatch, WatchlistUpload
from households.tests.factories import (
    COUNTY_CODE,
    HouseholdFactory,
    MemberFactory,
    next_resident_id,
)
from households.tests.hostile_files import dimension_bomb, zip_bomb

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 1)
LISTED = date(2025, 6, 1)
HEADER = ["身份证号码", "姓名", "来源", "列入日期", "移出日期"]


def csv_bytes(rows, *, encoding="utf-8", header=HEADER):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


def do_import(actor, rows, *, kind=WatchlistKind.DISHONEST_DEBTOR, as_of=TODAY, **kwargs):
    encoding = kwargs.pop("encoding", "utf-8")
    return watchlists.watchlist_import(
        actor=actor,
        kind=kind,
        source=kwargs.pop("source", "攸县人民法院"),
        stream=io.BytesIO(csv_bytes(rows, encoding=encoding)),
        filename=kwargs.pop("filename", "失信名单.csv"),
        as_of=as_of,
        **kwargs,
    )


def row(id_number, name="罗志强", *, source="", listed=LISTED, lifted=None):
    return [id_number, name, source, listed.isoformat(), lifted.isoformat() if lifted else ""]


def active_matches():
    return WatchlistMatch.objects.filter(cleared_at__isnull=True)


@pytest.fixture
def people(org):
    """Three archived people: a listed head, their unlisted spouse, and a stranger whose ID
    differs from the listed one only in the sequence digits."""
    listed_id = make_resident_id(COUNTY_CODE, date(1975, 3, 9), 131)
    similar_id = make_resident_id(COUNTY_CODE, date(1975, 3, 9), 133)
    household = HouseholdFactory(
        village=org.village_a, head__id_number=listed_id, head__name="罗志强"
    )
    spouse = MemberFactory(household=household, name="李桂花")
    stranger_home = HouseholdFactory(
        village=org.village_b, head__id_number=similar_id, head__name="陈国平"
    )
    return {
        "household": household,
        "head": household.members.get(relation="head"),
        "spouse": spouse,
        "stranger": stranger_home.members.get(),
        "listed_id": listed_id,
        "similar_id": similar_id,
    }


# --- import and matching ----------------------------------------------------------------------


def test_import_matches_exactly_the_listed_people_and_keeps_the_evidence(org, people):
    not_archived = next_resident_id(date(1990, 1, 1))
    result = do_import(
        org.head_office, [row(not_archived, "赵某"), row(people["listed_id"].lower())]
    )

    assert (result.created, result.rejected) == (2, [])
    assert result.recheck == {"matched": 1, "cleared": 0, "active": 1}
    match = WatchlistMatch.objects.select_related("entry__upload").get()
    assert match.member == people["head"]
    assert match.household == people["household"]
    assert match.kind == WatchlistKind.DISHONEST_DEBTOR
    assert match.matched_at is not None
    assert match.cleared_at is None
    assert match.entry.upload == result.upload
    assert match.entry.row_number == 3  # the header is row 1
    assert match.entry.source == "攸县人民法院"  # 来源 blank: the upload's source
    assert not people["stranger"].watchlist_matches.exists()
    assert not people["spouse"].watchlist_matches.exists()


def test_entries_are_stored_like_members_ids_encrypted_indexed_and_masked(org, people):
    do_import(org.head_office, [row(people["listed_id"], source="株洲市中级人民法院")])

    entry = WatchlistEntry.objects.get()
    assert people["listed_id"] not in entry.id_number_encrypted
    assert (
        crypto.decrypt(entry.id_number_encrypted, column=watchlists.ENTRY_ID_COLUMN)
        == (people["listed_id"])
    )
    assert entry.id_number_index == people["head"].id_number_index
    assert entry.id_number_masked == people["head"].id_number_masked
    assert entry.source == "株洲市中级人民法院"


def test_one_audit_event_per_import_without_personal_data(org, people):
    result = do_import(org.head_office, [row(people["listed_id"])])

    event = AuditEvent.objects.get(action=AuditAction.WATCHLIST_IMPORT)
    assert event.actor == org.head_office
    assert event.target_id == str(result.upload.pk)
    assert event.details["created"] == 1
    assert event.details["matches_matched"] == 1
    assert people["listed_id"] not in str(event.details) + event.target_label


def test_reimporting_the_same_file_changes_nothing(org, people):
    rows = [row(people["listed_id"]), row(next_resident_id(), "赵某", lifted=TODAY)]
    do_import(org.head_office, rows)
    entries_before = list(WatchlistEntry.objects.values().order_by("pk"))
    matches_before = list(WatchlistMatch.objects.values().order_by("pk"))

    again = do_import(org.head_office, rows)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert again.recheck == {"matched": 0, "cleared": 0, "active": 1}
    assert list(WatchlistEntry.objects.values().order_by("pk")) == entries_before
    assert list(WatchlistMatch.objects.values().order_by("pk")) == matches_before


def test_a_later_file_with_the_lifting_date_clears_the_match(org, people):
    do_import(org.head_office, [row(people["listed_id"])])
    lifted = TODAY - timedelta(days=3)

    result = do_import(org.head_office, [row(people["listed_id"], lifted=lifted)])

    assert (result.created, result.updated) == (0, 1)
    assert result.recheck == {"matched": 0, "cleared": 1, "active": 0}
    match = WatchlistMatch.objects.get()
    assert match.cleared_at is not None
    assert match.cleared_reason == "名单已移出"
    assert WatchlistEntry.objects.get().lifted_on == lifted


def test_a_future_lifting_date_clears_the_match_on_the_recheck_of_that_day(org, people):
    lifted = TODAY + timedelta(days=10)
    do_import(org.head_office, [row(people["listed_id"], lifted=lifted)])
    assert active_matches().count() == 1

    assert watchlist_matching.watchlists_recheck(as_of=lifted - timedelta(days=1))["cleared"] == 0
    counts = watchlist_matching.watchlists_recheck(as_of=lifted)

    assert counts == {"matched": 0, "cleared": 1, "active": 0}
    assert WatchlistMatch.objects.get().cleared_reason == "名单已移出"


def test_recheck_reopens_nothing_and_a_relisting_is_a_new_match(org, people):
    do_import(org.head_office, [row(people["listed_id"])], as_of=TODAY - timedelta(days=30))
    do_import(org.head_office, [row(people["listed_id"], lifted=TODAY - timedelta(days=5))])
    assert WatchlistMatch.objects.get().cleared_at is not None

    # a blank 移出日期 in a later copy of the list does not revive the lifted entry
    blank = do_import(org.head_office, [row(people["listed_id"])])
    assert blank.unchanged == 1
    assert not active_matches().exists()
    # nor does a re-check as of a day when the entry was still in force
    assert watchlist_matching.watchlists_recheck(as_of=LISTED + timedelta(days=1))["matched"] == 0
    assert not active_matches().exists()

    relisted = do_import(org.head_office, [row(people["listed_id"], listed=TODAY)])
    assert relisted.created == 1
    match = active_matches().get()
    assert match.entry.listed_on == TODAY
    assert WatchlistMatch.objects.count() == 2


def test_recheck_matches_people_archived_after_the_import(org, people):
    later_id = next_resident_id(date(1988, 8, 8))
    do_import(org.head_office, [row(later_id, "王五")], kind=WatchlistKind.CRIMINAL_RECORD)
    assert not active_matches().exists()

    newcomer = HouseholdFactory(village=org.village_b, head__id_number=later_id)
    counts = watchlist_matching.watchlists_recheck(as_of=TODAY)

    assert counts == {"matched": 1, "cleared": 0, "active": 1}
    assert active_matches().get().household == newcomer
    assert watchlist_matching.watchlists_recheck(as_of=TODAY) == {
        "matched": 0,
        "cleared": 0,
        "active": 1,
    }


def test_the_same_person_on_two_lists_is_matched_once_per_list(org, people):
    do_import(org.head_office, [row(people["listed_id"])])
    do_import(org.head_office, [row(people["listed_id"])], kind=WatchlistKind.SUBSISTENCE_ALLOWANCE)

    kinds = set(active_matches().values_list("kind", flat=True))
    assert kinds == {WatchlistKind.DISHONEST_DEBTOR, WatchlistKind.SUBSISTENCE_ALLOWANCE}


def test_bad_rows_are_reported_with_row_numbers_and_the_good_ones_imported(org, people):
    good_2 = next_resident_id()
    bad_check = people["similar_id"][:-1] + ("0" if people["similar_id"][-1] != "0" else "1")
    rows = [
        row(people["listed_id"]),  # 2
        row(bad_check, "错号"),  # 3
        row(next_resident_id(), ""),  # 4
        [next_resident_id(), "日期错", "", "2025-13-40", ""],  # 5
        row(next_resident_id(), "先移后列", lifted=LISTED - timedelta(days=1)),  # 6
        row(people["listed_id"], "重复"),  # 7
        ["", "", "", "", ""],  # 8: blank, skipped silently
        row(good_2, "钱七"),  # 9
        [next_resident_id(), "未来", "", (TODAY + timedelta(days=1)).isoformat(), ""],  # 10
    ]

    result = do_import(org.head_office, rows)

    assert [(r.row, r.field) for r in result.rejected] == [
        (3, "身份证号码"),
        (4, "姓名"),
        (5, "列入日期"),
        (6, "移出日期"),
        (7, "身份证号码"),
        (10, "列入日期"),
    ]
    reasons = {r.row: r.message for r in result.rejected}
    assert reasons[3] == "第3行 身份证号码校验码不正确（请核对每一位数字）"
    assert reasons[4] == "第4行 姓名不能为空"
    assert "不是有效日期" in reasons[5]
    assert "早于列入日期" in reasons[6]
    assert reasons[7] == "第7行 身份证号码与第2行重复，同一文件中每人只能出现一次"
    assert (result.created, result.rejected_rows) == (2, 6)
    upload = WatchlistUpload.objects.get()
    assert (upload.total_rows, upload.accepted_rows, upload.rejected_rows) == (8, 2, 6)
    assert set(WatchlistEntry.objects.values_list("name", flat=True)) == {"罗志强", "钱七"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_and_gbk_both_import(org, people, encoding):
    result = do_import(
        org.head_office,
        [row(people["listed_id"], "罗志强", source="县禁毒办")],
        kind=WatchlistKind.DRUG_GAMBLING,
        encoding=encoding,
    )

    assert result.created == 1
    assert result.rejected == []
    entry = WatchlistEntry.objects.get()
    assert (entry.name, entry.source) == ("罗志强", "县禁毒办")
    assert active_matches().get().member == people["head"]


def test_a_file_without_the_required_columns_is_refused_whole(org):
    bad = csv_bytes([["x", "y"]], header=["证件号", "名字"])
    with pytest.raises(DomainError) as error:
        watchlists.watchlist_import(
            actor=org.head_office,
            kind=WatchlistKind.SUBSISTENCE_ALLOWANCE,
            source="县民政局",
            stream=io.BytesIO(bad),
            filename="低保.csv",
            as_of=TODAY,
        )
    assert "缺少必需的列" in error.value.errors["file"][0]
    assert not WatchlistUpload.objects.exists()


@pytest.mark.parametrize("role", ["officer_a", "manager", "auditor"])
def test_only_head_office_may_import(org, people, role):
    with pytest.raises(DomainError) as error:
        do_import(getattr(org, role), [row(people["listed_id"])])
    assert error.value.code == "permission_denied"
    with pytest.raises(DomainError):
        do_import(None, [row(people["listed_id"])])  # no user and not the system
    assert not WatchlistEntry.objects.exists()


def test_recheck_query_count_does_not_grow_with_entries(
    org, django_assert_max_num_queries, settings
):
    def add_listed_people(n):
        rows = []
        for _ in range(n):
            id_number = next_resident_id()
            HouseholdFactory(village=org.village_a, head__id_number=id_number)
            rows.append(row(id_number, "某某", lifted=TODAY + timedelta(days=5)))
        do_import(org.head_office, rows, as_of=TODAY - timedelta(days=1))
        WatchlistMatch.objects.all().delete()

    # members: an INSERT … SELECT, two UPDATEs and a count; business entities: two INSERTs (by
    # the legal representative's ID, by the company's own USCC), three UPDATEs and a count;
    # plus the households and the entities to announce as changed, the savepoint and the audit
    # row — the same whatever the number of entries; credit's receiver (holds and lines of the
    # households listed or cleared, in the same transaction) adds 14–15, also fixed
    add_listed_people(3)
    with django_assert_max_num_queries(31):
        assert watchlist_matching.watchlists_recheck(as_of=TODAY)["matched"] == 3
    with django_assert_max_num_queries(31):
        assert (
            watchlist_matching.watchlists_recheck(as_of=TODAY + timedelta(days=5))["cleared"] == 3
        )

    add_listed_people(60)
    with django_assert_max_num_queries(31):
        assert watchlist_matching.watchlists_recheck(as_of=TODAY)["matched"] == 63
    with django_assert_max_num_queries(31):
        assert (
            watchlist_matching.watchlists_recheck(as_of=TODAY + timedelta(days=5))["cleared"] == 63
        )


def test_import_query_count_does_not_grow_per_row(org, django_assert_max_num_queries):
    rows = [row(next_resident_id(), "某某") for _ in range(300)]
    with django_assert_max_num_queries(31):
        assert do_import(org.head_office, rows).created == 300


def test_a_corrected_member_id_clears_the_old_match(org, people):
    do_import(org.head_office, [row(people["listed_id"])])
    head = people["head"]
    head.id_number_index = "0" * 64  # as if the ID had been corrected by member_update
    head.save(update_fields=["id_number_index"])

    counts = watchlist_matching.watchlists_recheck(as_of=TODAY)

    assert counts["cleared"] == 1
    assert WatchlistMatch.objects.get().cleared_reason == "成员身份证号码已更正"


# --- who sees what ----------------------------------------------------------------------------


def test_household_matches_are_shown_only_inside_the_users_scope(org, people):
    do_import(org.head_office, [row(people["listed_id"])])
    household = people["household"]  # in grid A

    for user in (org.officer_a, org.manager, org.head_office, org.auditor):
        matches = watchlist_selectors.watchlist_matches_for_household(
            user=user, household=household
        )
        assert [m.member for m in matches] == [people["head"]]
    assert (
        watchlist_selectors.watchlist_matches_for_household(user=org.officer_b, household=household)
        == []
    )

    html = render_to_string(
        "households/_watchlist_matches.html",
        {
            "household": household,
            "watchlist_matches": watchlist_selectors.watchlist_matches_for_household(
                user=org.officer_a, household=household
            ),
        },
    )
    assert "失信被执行人" in html
    assert "罗**" in html
    assert "攸县人民法院" in html
    assert "罗志强" not in html
    assert people["listed_id"] not in html


@pytest.mark.parametrize(
    ("role", "status"),
    [("head_office", 200), ("auditor", 200), ("officer_a", 403), ("manager", 403)],
)
def test_list_page_is_for_head_office_and_auditors(client, org, people, role, status):
    do_import(org.head_office, [row(people["listed_id"])])
    client.force_login(getattr(org, role))

    response = client.get(reverse("watchlists:list"))

    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert "罗**" in html
        assert people["head"].id_number_masked in html
        assert "罗志强" not in html
        assert people["listed_id"] not in html


def test_list_page_filters_by_kind_and_state_and_counts_active_matches(client, org, people):
    do_import(org.head_office, [row(people["listed_id"])])
    do_import(
        org.head_office,
        [row(next_resident_id(), "钱七", lifted=TODAY - timedelta(days=1))],
        kind=WatchlistKind.SUBSISTENCE_ALLOWANCE,
        as_of=timezone.localdate(),
    )
    client.force_login(org.auditor)

    page = client.get(reverse("watchlists:list"))
    counts = {c["kind"]: c["members"] for c in page.context["counts"]}
    assert counts[WatchlistKind.DISHONEST_DEBTOR] == 1
    assert counts[WatchlistKind.SUBSISTENCE_ALLOWANCE] == 0

    on_allowance = client.get(reverse("watchlists:list"), {"kind": "dibao"})
    assert [e.name for e in on_allowance.context["page"]] == ["钱七"]
    lifted = client.get(reverse("watchlists:list"), {"state": "lifted"})
    assert [e.name for e in lifted.context["page"]] == ["钱七"]
    active = client.get(reverse("watchlists:list"), {"state": "active"})
    assert [e.name for e in active.context["page"]] == ["罗志强"]


@pytest.mark.parametrize("role", ["officer_a", "manager", "auditor"])
def test_upload_page_is_forbidden_to_everyone_but_head_office(client, org, people, role):
    client.force_login(getattr(org, role))
    upload = io.BytesIO(csv_bytes([row(people["listed_id"])]))
    upload.name = "失信名单.csv"

    assert client.get(reverse("watchlists:upload")).status_code == 403
    response = client.post(
        reverse("watchlists:upload"),
        {"kind": "dishonest_debtor", "source": "法院", "file": upload},
    )

    assert response.status_code == 403
    assert not WatchlistEntry.objects.exists()


def test_head_office_uploads_a_list_and_sees_accepted_and_rejected_rows(client, org, people):
    client.force_login(org.head_office)
    assert "导入并比对" in client.get(reverse("watchlists:upload")).content.decode()
    upload = io.BytesIO(
        csv_bytes([row(people["listed_id"]), row("43022319750309131", "短号")], encoding="gbk")
    )
    upload.name = "失信名单.csv"

    response = client.post(
        reverse("watchlists:upload"),
        {"kind": "dishonest_debtor", "source": "攸县人民法院", "file": upload},
    )

    assert response.status_code == 200
    html = response.content.decode()
    result = response.context["result"]
    assert (result.created, result.rejected_rows, result.recheck["matched"]) == (1, 1, 1)
    assert "第3行" in html
    assert "应为18位，实际为17位" in html
    assert active_matches().get().member == people["head"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (dimension_bomb, "用到了第1048576行，超过导入上限200000行"),
        (zip_bomb, "压缩比为288:1，超过上限100:1"),
    ],
)
def test_a_hostile_list_file_is_refused_on_the_upload_page(client, org, make, message):
    """The upload page reads the file in the web process: a file that aborted the parser
    would have taken the web worker down with it."""
    client.force_login(org.head_office)
    upload = io.BytesIO(make(HEADER))
    upload.name = "失信名单.xlsx"
    started = time.monotonic()
    response = client.post(
        reverse("watchlists:upload"),
        {"kind": "dishonest_debtor", "source": "攸县人民法院", "file": upload},
    )
    assert time.monotonic() - started < 10
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not WatchlistUpload.objects.exists()


def test_the_downloaded_template_imports_once_filled_in(client, org, people):
    client.force_login(org.head_office)
    response = client.get(reverse("watchlists:template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")

    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["名单", "填写说明"]
    sheet = workbook["名单"]
    assert [c.value for c in sheet[1]] == [
        "身份证号码",
        "姓名*",
        "来源",
        "列入日期*",
        "移出日期",
        "统一社会信用代码",
    ]
    sheet.append([people["listed_id"], "罗志强", None, LISTED, None])
    filled = io.BytesIO()
    workbook.save(filled)
    filled.seek(0)

    result = watchlists.watchlist_import(
        actor=org.head_office,
        kind=WatchlistKind.CRIMINAL_RECORD,
        source="县公安局",
        stream=filled,
        filename="名单导入模板.xlsx",
        as_of=TODAY,
    )
    assert (result.created, result.rejected) == (1, [])
    assert active_matches().get().kind == WatchlistKind.CRIMINAL_RECORD


def test_xlsx_with_excel_dates_and_an_instructions_sheet_first(org, people):
    workbook = Workbook()
    notes = workbook.active
    notes.title = "说明"
    notes.append(["请在第二个工作表填写"])
    data = workbook.create_sheet("名单")
    data.append(HEADER)
    data.append([people["listed_id"], "罗志强", "法院", LISTED, TODAY + timedelta(days=30)])
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)

    result = watchlists.watchlist_import(
        actor=org.head_office,
        kind=WatchlistKind.DISHONEST_DEBTOR,
        source="法院",
        stream=stream,
        filename="名单.xlsx",
        as_of=TODAY,
    )

    assert result.created == 1
    assert WatchlistEntry.objects.get().lifted_on == TODAY + timedelta(days=30)
    assert active_matches().get().member == people["head"]


# --- commands, task, schedule -----------------------------------------------------------------


def test_import_command_runs_as_the_system_and_prints_rejected_rows(org, people, tmp_path):
    path = tmp_path / "失信名单.csv"
    path.write_bytes(csv_bytes([row(people["listed_id"]), row("123", "短号")], encoding="gbk"))
    out = io.StringIO()

    call_command(
        "import_watchlist",
        str(path),
        "--kind",
        "失信被执行人",
        "--source",
        "攸县人民法院",
        "--as-of",
        TODAY.isoformat(),
        stdout=out,
    )

    text = out.getvalue()
    assert "新增 1" in text
    assert "拒绝 1 行" in text
    assert "新匹配 1" in text
    assert "第3行 身份证号码应为18位，实际为3位" in text
    upload = WatchlistUpload.objects.get()
    assert upload.uploaded_by is None
    assert AuditEvent.objects.get(action=AuditAction.WATCHLIST_IMPORT).actor is None


def test_recheck_command_clears_lifted_matches(org, people):
    lifted = TODAY + timedelta(days=2)
    do_import(org.head_office, [row(people["listed_id"], lifted=lifted)])
    out = io.StringIO()

    call_command("recheck_watchlists", "--as-of", lifted.isoformat(), stdout=out)

    assert "解除 1" in out.getvalue()
    assert not active_matches().exists()
    event = AuditEvent.objects.get(action=AuditAction.WATCHLIST_RECHECK)
    assert event.details["cleared"] == 1


def test_the_task_rechecks_as_of_today(org, people):
    do_import(org.head_office, [row(people["listed_id"])], as_of=timezone.localdate())
    WatchlistMatch.objects.all().delete()

    # in-process here; the worker test below sends it through Redis
    assert tasks.recheck_watchlists.apply().get() == {"matched": 1, "cleared": 0, "active": 1}


@pytest.mark.django_db(transaction=True)  # the scheduler closes and reopens its connection
def test_beat_installs_the_nightly_recheck_at_half_past_two_shanghai_time():
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    from fuxiang.celery import app

    DatabaseScheduler(app=app)  # what `celery beat` does on start

    task = PeriodicTask.objects.get(task="households.tasks.recheck_watchlists")
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("30", "2", "*")
    assert str(crontab.timezone) == "Asia/Shanghai"
    assert task.enabled


@pytest.mark.services
def test_nightly_recheck_runs_on_a_real_worker(celery_worker, org, people):
    newcomer_id = next_resident_id(date(1991, 2, 3))
    do_import(org.head_office, [row(newcomer_id, "孙八")], kind=WatchlistKind.CRIMINAL_RECORD)
    do_import(org.head_office, [row(people["listed_id"])])
    WatchlistMatch.objects.all().delete()  # as if the list had arrived before the archive
    newcomer = HouseholdFactory(village=org.village_b, head__id_number=newcomer_id)

    counts = tasks.recheck_watchlists.delay().get(timeout=60)

    assert counts == {"matched": 2, "cleared": 0, "active": 2}, celery_worker.log.read_text()
    assert set(active_matches().values_list("household_id", flat=True)) == {
        people["household"].pk,
        newcomer.pk,
    }
    assert "recheck_watchlists" in celery_worker.log.read_text()


def test_a_listed_legal_representative_marks_the_entity_until_lifted(org, client):
    from households.models import WatchlistEntityMatch
    from households.tests.factories import BusinessEntityFactory

    operator = next_resident_id()
    entity = BusinessEntityFactory(village=org.village_a, legal_rep_id=operator)
    BusinessEntityFactory(village=org.village_a)  # someone else: never matched
    do_import(org.head_office, [row(operator, "李四")], as_of=TODAY)
    match = WatchlistEntityMatch.objects.get()
    assert (match.business_entity, match.kind, match.cleared_at) == (
        entity,
        "dishonest_debtor",
        None,
    )
    client.force_login(org.officer_a)
    page = client.get(reverse("households:entity_detail", args=[entity.pk])).content.decode()
    assert "名单匹配" in page
    assert '<span data-testid="match-basis">法定代表人/经营者</span>' in page

    do_import(org.head_office, [row(operator, "李四", lifted=TODAY)], as_of=TODAY)
    match.refresh_from_db()
    assert match.cleared_reason == "名单已移出"
