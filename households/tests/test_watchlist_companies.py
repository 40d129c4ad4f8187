"""Companies on the 失信被执行人 list (issue 11, item 5): courts list companies by their USCC as
well as people by their ID. A company row is matched to the business entity with that code —
as a legal representative's ID is — and cleared when lifted or when the entity's code is
corrected; the other lists name people only."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from households import services, watchlist_matching, watchlists
from households.models import WatchlistEntityMatch, WatchlistEntry, WatchlistKind
from households.tests.factories import BusinessEntityFactory, next_resident_id, next_uscc
from households.tests.test_watchlists import LISTED, TODAY, csv_bytes

pytestmark = pytest.mark.django_db

HEADER = ["身份证号码", "姓名", "来源", "列入日期", "移出日期", "统一社会信用代码"]


def company(uscc, name="罗家坪建材有限公司", *, lifted=None, id_number=""):
    return [id_number, name, "", LISTED.isoformat(), lifted.isoformat() if lifted else "", uscc]


def do_import(actor, rows, *, kind=WatchlistKind.DISHONEST_DEBTOR, header=HEADER):
    return watchlists.watchlist_import(
        actor=actor,
        kind=kind,
        source="攸县人民法院",
        stream=io.BytesIO(csv_bytes(rows, header=header)),
        filename="失信企业.csv",
        as_of=TODAY,
    )


def active():
    return WatchlistEntityMatch.objects.filter(cleared_at__isnull=True)


def test_a_company_listed_by_its_uscc_is_matched_to_its_entity_until_lifted(org, client):
    listed = BusinessEntityFactory(village=org.village_a, kind="micro_enterprise")
    other = BusinessEntityFactory(village=org.village_a)  # another company: never matched

    result = do_import(org.head_office, [company(listed.uscc)])

    assert (result.created, result.rejected) == (1, [])
    entry = WatchlistEntry.objects.get()
    assert (entry.uscc, entry.name, entry.id_number_index) == (
        listed.uscc,
        "罗家坪建材有限公司",
        "",
    )
    match = active().get()
    assert (match.business_entity, match.kind, match.entry) == (listed, "dishonest_debtor", entry)
    assert not active().filter(business_entity=other).exists()

    client.force_login(org.officer_a)
    page = client.get(reverse("households:entity_detail", args=[listed.pk])).content.decode()
    assert f"主体本身（统一社会信用代码 {listed.uscc}）" in page

    do_import(org.head_office, [company(listed.uscc, lifted=TODAY)])
    match.refresh_from_db()
    assert match.cleared_reason == "名单已移出"
    assert not active().exists()


def test_the_same_company_twice_in_a_file_and_bad_company_rows_are_reported(org):
    listed = BusinessEntityFactory(village=org.village_a)
    result = do_import(
        org.head_office,
        [
            company(listed.uscc),
            company(listed.uscc, name="同一企业"),
            company("91430223MA4L12345X"),  # wrong check character
            company(next_uscc("91"), id_number=next_resident_id()),  # both identities
            ["", "无名氏", "", LISTED.isoformat(), "", ""],  # neither
        ],
    )
    assert result.created == 1
    reasons = {(r.row, r.field): r.reason for r in result.rejected}
    assert reasons[(3, "统一社会信用代码")] == "与第2行重复，同一文件中每个企业只能出现一次"
    assert (4, "统一社会信用代码") in reasons
    assert reasons[(5, "统一社会信用代码")].startswith("与身份证号码只能填一个")
    assert reasons[(6, "身份证号码")] == "不能为空（企业请填写统一社会信用代码）"


def test_only_the_dishonest_debtor_list_names_companies(org):
    listed = BusinessEntityFactory(village=org.village_a)
    result = do_import(org.head_office, [company(listed.uscc)], kind=WatchlistKind.CRIMINAL_RECORD)
    assert result.created == 0
    assert [(r.field, r.reason) for r in result.rejected] == [
        ("统一社会信用代码", "只有失信被执行人名单可以列入企业，本名单请填写身份证号码")
    ]


def test_a_file_of_companies_only_needs_no_id_column(org):
    listed = BusinessEntityFactory(village=org.village_a)
    header = ["统一社会信用代码", "姓名", "列入日期"]
    result = do_import(
        org.head_office, [[listed.uscc, "某公司", LISTED.isoformat()]], header=header
    )
    assert (result.created, active().get().business_entity) == (1, listed)
    with pytest.raises(Exception, match="身份证号码（个人）或统一社会信用代码（企业）"):
        do_import(org.head_office, [["某公司", LISTED.isoformat()]], header=["姓名", "列入日期"])


def test_correcting_the_entitys_code_clears_the_company_match(org):
    listed = BusinessEntityFactory(village=org.village_a, kind="micro_enterprise")
    do_import(org.head_office, [company(listed.uscc)])
    assert active().exists()

    services.business_entity_update(
        actor=org.officer_a, entity=listed, fields={"uscc": next_uscc("91")}
    )
    counts = watchlist_matching.watchlists_recheck(as_of=TODAY)

    assert counts["cleared"] == 1
    assert WatchlistEntityMatch.objects.get().cleared_reason == "主体统一社会信用代码已更正"
