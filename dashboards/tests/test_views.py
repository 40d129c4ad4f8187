"""The dashboard pages over HTTP: each role's home page, scoping (another branch's data is
404, the county is head office's), the Excel export equal to the page, the drill-down to a
village's households (masked, by stage, paged), and the empty views — no statistics yet, a
brand-new county, an empty village, a date range with nothing in it, bad input."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from dashboards import figures as refresh
from dashboards.household_selectors import household_page
from dashboards.scopes import VILLAGE, scope_for
from dashboards.tests.pages import page_tables, workbook_tables
from fuxiang.accounts.models import Role
from fuxiang.audit.models import AuditAction, AuditEvent
from households.models import Relation, VillageGroup, Visit
from households.tests.factories import (
    BranchFactory,
    GridFactory,
    HouseholdFactory,
    MemberFactory,
    UserFactory,
    VillageFactory,
)
from qrlookup.models import OfficerRequest, RequestKind, ScanEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_branch(org):
    """A second branch with its own manager, grid, officer, village and households."""
    branch = BranchFactory(name="皇图岭支行")
    grid = GridFactory(branch=branch, name="皇图岭网格")
    village = VillageFactory(township=org.township, grid=grid, name="皇图岭村")
    officer = UserFactory(username="officer_c", full_name="赵客户经理", role=Role.OFFICER)
    grid.officers.add(officer)
    manager = UserFactory(username="manager_b", full_name="李行长", role=Role.BRANCH_MANAGER)
    branch.managers.add(manager)
    for _ in range(3):
        HouseholdFactory(village=village)
    return branch, grid, village, officer, manager


@pytest.fixture
def figures(org, other_branch):
    """Households in both grids of the org's branch, a visit, a scan; then a refresh."""
    group = VillageGroup.objects.create(village=org.village_a, name='=HYPERLINK("http://x")组')
    for n in range(4):
        h = HouseholdFactory(village=org.village_a, village_group=group, head=False)
        MemberFactory(household=h, relation=Relation.HEAD, name=f"罗志{'强明亮红'[n]}")
    HouseholdFactory(village=org.village_b)
    Visit.objects.create(
        officer=org.officer_a,
        household=org.village_a.households.first(),
        visited_at=timezone.now(),
        place="村部",
        outcome="explained",
    )
    ScanEvent.objects.create(
        at=timezone.now(), village=org.village_a, grid=org.grid_a, ua_class="wechat"
    )
    refresh.figures_refresh()
    return org


def get(client, user, url, status=200):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response


def url(kind, pk, view=""):
    return f"/dashboards/{kind}/{pk}/{view}"


# --- each role's home page ------------------------------------------------------------------


def test_each_role_lands_on_its_dashboard(client, figures, other_branch):
    org = figures
    home = get(client, org.head_office, "/").content.decode()
    assert 'data-testid="headline"' in home
    assert "按乡镇" in home
    assert "按支行" in home
    home = get(client, org.auditor, "/").content.decode()
    assert 'data-testid="headline"' in home
    home = get(client, org.manager, "/").content.decode()
    assert "网岭支行" in home
    assert "按网格" in home
    assert "按客户经理" in home
    assert "皇图岭" not in home  # the other branch
    home = get(client, org.officer_a, "/").content.decode()
    assert "我的网格" in home
    assert "罗家坪村" in home
    assert "新建农户档案" in home
    assert "丫江桥" not in home
    newcomer = UserFactory(username="newcomer", role=Role.OFFICER)
    assert 'data-testid="unassigned"' in get(client, newcomer, "/").content.decode()


def test_a_branch_dashboard_counts_only_its_own_households(client, figures):
    org = figures
    tables = page_tables(get(client, org.manager, url("branch", org.branch.pk)).content.decode())
    funnel = {row[0]: row[1] for row in tables["funnel"][1:]}
    assert funnel["户籍户数"] == "200"
    assert funnel["已建档"] == "5"  # 4 in village A, 1 in village B; not the other branch's 3
    assert funnel["已走访"] == "1"
    grids = {row[0]: row for row in tables["children"][1:]}
    assert set(grids) == {"罗家坪网格", "丫江桥网格", "合计"}
    officers = {row[0] for row in tables["officers"][1:]}
    assert officers == {"刘客户经理", "陈客户经理"}


# --- scoping --------------------------------------------------------------------------------


def test_another_branchs_data_is_404_everywhere(client, figures, other_branch):
    org = figures
    branch, grid, village, officer, _ = other_branch
    for path in (
        url("branch", branch.pk),
        url("branch", branch.pk, "trends/"),
        url("branch", branch.pk, "export.xlsx"),
        url("branch", branch.pk, "households/"),
        url("branch", branch.pk, "report.pdf"),
        url("grid", grid.pk),
        url("grid", grid.pk, "households.xlsx"),
        url("village", village.pk),
        url("village", village.pk, "households/?stage=not_rated"),
        url("officer", officer.pk),
        url("township", 999_999),
        url("planet", 1),
    ):
        get(client, org.manager, path, status=404)


def test_an_officer_sees_only_their_grids(client, figures):
    org = figures
    get(client, org.officer_a, url("grid", org.grid_a.pk))
    get(client, org.officer_a, url("village", org.village_a.pk))
    get(client, org.officer_a, url("grid", org.grid_b.pk), status=404)
    get(client, org.officer_a, url("village", org.village_b.pk), status=404)
    get(client, org.officer_a, url("officer", org.officer_b.pk), status=404)
    get(client, org.officer_a, url("branch", org.branch.pk), status=404)
    # the township shows only the villages they see
    township = get(client, org.officer_a, url("township", org.township.pk)).content.decode()
    assert "罗家坪村" in township
    assert "丫江桥村" not in township


def test_the_county_is_for_head_office_and_auditors(client, figures):
    org = figures
    for user in (org.manager, org.officer_a):
        get(client, user, "/dashboards/county/", status=403)
        get(client, user, "/dashboards/headline/", status=403)
        get(client, user, "/dashboards/county/export.xlsx", status=403)
    for user in (org.head_office, org.auditor):
        get(client, user, "/dashboards/county/")
        get(client, user, url("branch", org.branch.pk))


def test_anonymous_visitors_are_sent_to_sign_in(client, figures):
    for path in ("/", "/dashboards/county/", url("village", figures.village_a.pk)):
        response = client.get(path)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


# --- the export equals the page -------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("head_office", "/dashboards/county/"),
        ("manager", "branch"),
        ("officer_a", "grid"),
        ("officer_a", "village"),
        ("manager", "branch-trends"),
    ],
)
def test_the_excel_export_equals_the_page(client, figures, who, path):
    org = figures
    user = getattr(org, who)
    page, export = {
        "/dashboards/county/": ("/dashboards/county/", "/dashboards/county/export.xlsx"),
        "branch": (url("branch", org.branch.pk), url("branch", org.branch.pk, "export.xlsx")),
        "grid": (url("grid", org.grid_a.pk), url("grid", org.grid_a.pk, "export.xlsx")),
        "village": (
            url("village", org.village_a.pk),
            url("village", org.village_a.pk, "export.xlsx"),
        ),
        "branch-trends": (
            url("branch", org.branch.pk, "trends/"),
            url("branch", org.branch.pk, "trends.xlsx"),
        ),
    }[path]
    shown = page_tables(get(client, user, page).content.decode())
    shown.pop("household-list", None)
    response = get(client, user, export)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    exported = workbook_tables(response.content)
    titles = {
        "funnel": "覆盖漏斗",
        "totals": "全部指标",
        "children": None,
        "branches": "按支行",
        "officers": "按客户经理",
        "series": "各环节周走势",
        "activity": "每周工作量",
        "officer_activity": "客户经理工作量",
    }
    assert len(exported) == len(shown)
    for key, rows in shown.items():
        title = titles[key] or next(
            t for t in exported if t.startswith("按") and t not in titles.values()
        )
        assert exported[title] == rows, key
    assert any(len(rows) > 2 for rows in shown.values())  # the tables hold figures


# --- the drill-down -------------------------------------------------------------------------


def test_a_village_lists_its_households_by_stage_masked(client, figures):
    org = figures
    page = get(client, org.officer_a, url("village", org.village_a.pk)).content.decode()
    assert 'data-testid="not-archived">96<' in page  # 100 registered, 4 archived
    assert "罗**" in page
    assert "罗志强" not in page
    assert "未走访（3户）" in page
    assert "已走访" in page
    not_visited = get(
        client, org.officer_a, url("village", org.village_a.pk, "?stage=not_visited")
    ).content.decode()
    assert "未走访：共 3 户" in not_visited
    # keyset pages: every household once, in order
    scope = scope_for(org.officer_a, VILLAGE, org.village_a.pk)
    as_of = timezone.now()
    first = household_page(scope, "all", as_of=as_of, size=3)
    second = household_page(scope, "all", as_of=as_of, after=first.next_after, size=3)
    ids = [r.household_id for r in first.rows + second.rows]
    assert len(ids) == 4 == len(set(ids))
    assert ids == sorted(ids)
    assert second.next_after is None
    # garbage in the query string is ignored, never an error
    get(client, org.officer_a, url("village", org.village_a.pk, "?stage=nope&after=abc"))


def test_the_officers_list_exports_masked_and_formula_safe_and_is_audited(client, figures):
    org = figures
    response = get(
        client, org.officer_a, url("village", org.village_a.pk, "households.xlsx?stage=all")
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 4
    assert {row[1] for row in rows} == {"罗**"}
    group = sheet.cell(row=3, column=4)
    assert group.value.startswith("=HYPERLINK")
    assert group.data_type == "s"
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.details["rows"] == 4
    assert "罗志" not in event.target_label


def test_a_county_wide_list_is_not_exported(client, figures, settings):
    org = figures
    get(client, org.head_office, "/dashboards/county/households/")
    settings.DASHBOARDS_EXPORT_MAX_ROWS = 2
    response = get(client, org.officer_a, url("grid", org.grid_a.pk, "households.xlsx"), status=400)
    assert "最多 2 户" in response.content.decode()


# --- trends, the report, the headline -------------------------------------------------------


def test_trends_show_the_weeks_and_the_officers_work(client, figures):
    org = figures
    OfficerRequest.objects.create(
        kind=RequestKind.RATING,
        household=org.village_a.households.first(),
        grid=org.grid_a,
        village=org.village_a,
        created_at=timezone.now() - timedelta(days=9),
        due_at=timezone.now() - timedelta(days=2),
    )
    refresh.figures_refresh()
    tables = page_tables(
        get(client, org.manager, url("branch", org.branch.pk, "trends/")).content.decode()
    )
    assert tables["series"][-1][1] == "5"  # this week's archived households
    officers = {row[0]: row for row in tables["officer_activity"][1:]}
    assert officers["刘客户经理"][2] == "1"  # one visit in their grid
    assert officers["刘客户经理"][4:] == ["1", "0", "0.0%"]  # one due, none on time


def test_a_date_range_with_nothing_in_it_is_a_meaningful_empty_view(client, figures):
    org = figures
    page = get(
        client, org.manager, url("branch", org.branch.pk, "trends/?start=2020-01-01&end=2020-02-01")
    ).content.decode()
    assert 'data-testid="no-data"' in page
    assert "2020-01-01 至 2020-02-01" in page
    for bad, message in (
        ("start=yesterday", "日期格式"),
        ("start=2026-02-01&end=2026-01-01", "不能晚于"),
        ("start=2000-01-01&end=2026-01-01", "最长两年"),
    ):
        page = get(
            client, org.manager, url("branch", org.branch.pk, f"trends/?{bad}")
        ).content.decode()
        assert message in page


def test_the_monthly_report_is_a_pdf(client, figures):
    org = figures
    response = get(client, org.manager, url("branch", org.branch.pk, "report.pdf?month=2026-13"))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    get(client, org.manager, url("grid", org.grid_a.pk, "report.pdf"), status=404)
    get(client, org.head_office, "/dashboards/county/report.pdf?month=2019-01")


def test_the_headline_panel_shows_the_banks_figures(client, figures):
    page = get(client, figures.head_office, "/dashboards/headline/").content.decode()
    assert 'data-testid="headline-registered">300户<' in page  # three villages of 100
    assert 'title="300户"' in page
    assert "数据截至" in page


# --- empty views ----------------------------------------------------------------------------


def test_before_the_first_refresh_every_page_says_so(client, org):
    for user, path in (
        (org.head_office, "/"),
        (org.head_office, "/dashboards/headline/"),
        (org.manager, url("branch", org.branch.pk, "trends/")),
        (org.officer_a, url("village", org.village_a.pk)),
        (org.officer_a, url("grid", org.grid_a.pk, "households/")),
    ):
        page = get(client, user, path).content.decode()
        assert "统计数据尚未生成" in page, path
    get(client, org.officer_a, url("grid", org.grid_a.pk, "export.xlsx"))


def test_a_brand_new_county_and_an_empty_village_are_meaningful_views(client, org):
    empty = VillageFactory(
        township=org.township, grid=org.grid_a, name="新村", registered_households=0
    )
    refresh.figures_refresh()  # no archives, ratings, lookups or loans anywhere
    page = get(client, org.head_office, "/").content.decode()
    assert 'data-testid="headline-rated">0户<' in page
    assert 'data-testid="headline-online_share">—<' in page
    page = get(client, org.officer_a, url("village", empty.pk)).content.decode()
    assert 'data-testid="empty-village"' in page
    assert 'data-testid="listing-empty"' in page
    assert 'data-testid="empty-scope"' not in page


def test_the_home_pages_missing_figure_links_to_the_villages_to_visit(client, figures):
    org = figures
    home = get(client, org.officer_a, "/").content.decode()
    assert 'href="/households/missing/" data-testid="not-archived-link"' in home
    missing = get(client, org.officer_a, "/households/missing/").content.decode()
    assert org.village_a.name in missing
    assert 'data-testid="missing-count">96<' in missing  # 100 registered, 4 archived
