"""The dashboards' pure calculations: figures add up, shares never divide by zero, the bank's
units read as the bank reports them, weeks and months are what a calendar says."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboards.engine import (
    FUNNEL,
    STAGES,
    Figures,
    bank_amount,
    bank_count,
    exact_amount,
    exact_count,
    month_bounds,
    on_time_rate,
    percent,
    unrated_cutoff,
    week_start,
    weeks_between,
)
from dashboards.engine.headline import headline
from dashboards.engine.series import previous_month
from dashboards.engine.stalled import answered_on_time
from dashboards.engine.tables import (
    BREAKDOWN,
    breakdown_table,
    cell_text,
    display_rows,
    funnel_table,
    totals_table,
)

counts = st.integers(min_value=0, max_value=10**7)
amounts = st.decimals(min_value=0, max_value=10**11, places=2, allow_nan=False)
figures = st.builds(
    Figures,
    registered=counts,
    archived=counts,
    visited=counts,
    rated=counts,
    granted=counts,
    granted_amount=amounts,
    looked_up=counts,
    scans=counts,
    signed=counts,
    signed_amount=amounts,
    drawn_amount=amounts,
    balance=amounts,
    online_balance=amounts,
)


def test_the_banks_own_headline_reads_as_the_bank_reports_it():
    county = Figures(
        registered=222_200,
        rated=194_000,
        granted_amount=Decimal("18600000000.00"),
        scans=729_300,
        signed=39_300,
        signed_amount=Decimal("5410000000.00"),
        drawn_amount=Decimal("3585000000.00"),
        balance=Decimal("10000000000.00"),
        online_balance=Decimal("3034000000.00"),
    )
    items = {item.key: item for item in headline(county)}
    assert items["registered"].short == "22.22万户"
    assert items["rated"].short == "19.4万户"
    assert items["granted_amount"].short == "186亿元"
    assert items["scans"].short == "72.93万人次"
    assert items["signed"].short == "3.93万户"
    assert items["signed_amount"].short == "54.1亿元"
    assert items["drawn_amount"].short == "35.85亿元"
    assert items["online_share"].short == "30.34%"
    # the exact figure beside each
    assert items["registered"].exact == "222,200户"
    assert items["granted_amount"].exact == "18,600,000,000.00元"


def test_a_brand_new_county_has_a_headline_of_zeros_and_no_share():
    items = {item.key: item for item in headline(Figures())}
    assert items["registered"].short == "0户"
    assert items["granted_amount"].short == "0元"
    assert items["online_share"].short == "—"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0户"),
        (9_999, "9,999户"),
        (10_000, "1万户"),
        (12_345, "1.23万户"),
        (12_355, "1.24万户"),  # half up
        (1_234_567, "123.46万户"),
    ],
)
def test_counts_in_wan(value, expected):
    assert bank_count(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("3500"), "3,500元"),
        (Decimal("3500.5"), "3,500.5元"),
        (Decimal("54100"), "5.41万元"),
        (Decimal("99999999"), "10,000万元"),
        (Decimal("100000000"), "1亿元"),
        (Decimal("123456789012"), "1,234.57亿元"),
    ],
)
def test_amounts_in_wan_and_yi(value, expected):
    assert bank_amount(value) == expected


def test_exact_figures():
    assert exact_count(729_300, "人次") == "729,300人次"
    assert exact_amount(Decimal("1.005")) == "1.01元"


@given(figures, figures)
def test_figures_add_field_by_field(a, b):
    total = a + b
    assert total.registered == a.registered + b.registered
    assert total.granted_amount == a.granted_amount + b.granted_amount
    assert Figures.total([a, b]) == total
    assert Figures.total([]) == Figures()


@given(figures)
def test_shares_are_none_without_registered_households_and_never_raise(f):
    for key in FUNNEL:
        share = f.share(key)
        if f.registered == 0:
            assert share is None
        else:
            assert share == percent(getattr(f, key), f.registered)
    assert (f.online_share is None) == (f.balance == 0)
    assert f.not_archived == max(f.registered - f.archived, 0) >= 0


def test_percent_rounds_half_up_to_one_place():
    assert percent(1, 3) == Decimal("33.3")
    assert percent(1, 8) == Decimal("12.5")
    assert percent(1, 16) == Decimal("6.3")
    assert percent(3034, 10000, places=2) == Decimal("30.34")
    assert percent(5, 0) is None


def test_weeks_are_iso_weeks_from_monday():
    assert week_start(date(2026, 12, 6)) == date(2026, 11, 30)  # a Sunday
    assert week_start(date(2026, 11, 30)) == date(2026, 11, 30)
    assert weeks_between(date(2026, 11, 25), date(2026, 12, 6)) == [
        date(2026, 11, 23),
        date(2026, 11, 30),
    ]
    assert weeks_between(date(2026, 12, 6), date(2026, 11, 1)) == []


def test_months():
    assert month_bounds(2028, 2) == (date(2028, 2, 1), date(2028, 2, 29))
    assert previous_month(2026, 1) == (2025, 12)
    assert previous_month(2026, 7) == (2026, 6)


def test_stalled_rules():
    now = datetime(2026, 12, 6, 10, tzinfo=UTC)
    assert unrated_cutoff(now, 30) == datetime(2026, 11, 6, 10, tzinfo=UTC)
    with pytest.raises(ValueError, match="negative"):
        unrated_cutoff(now, -1)
    assert answered_on_time(now, now)
    assert not answered_on_time(None, now)
    assert on_time_rate(3, 4) == Decimal("75.0")
    assert on_time_rate(0, 0) is None


def test_a_breakdown_has_a_total_row_that_adds_up_its_children():
    a = Figures(registered=100, archived=90, granted_amount=Decimal("1000.50"))
    b = Figures(registered=50, archived=10, granted_amount=Decimal("99.50"))
    table = breakdown_table("children", "按村", [("甲村", a), ("乙村", b)], first="村/社区")
    assert [row[0] for row in table.rows] == ["甲村", "乙村", "合计"]
    total = table.rows[-1]
    labels = [label for label, _, _ in BREAKDOWN]
    assert total[1 + labels.index("户籍户数")] == 150
    assert total[1 + labels.index("建档率")] == Decimal("66.7")
    assert total[1 + labels.index("授信金额（元）")] == Decimal("1100.00")
    single = breakdown_table("children", "按村", [("甲村", a)], first="村/社区")
    assert len(single.rows) == 1  # no total of one


def test_tables_show_cells_as_the_page_does():
    assert cell_text(None, "percent") == "—"
    assert cell_text(222200, "count") == "222,200"
    assert cell_text(Decimal("1234.5"), "amount") == "1,234.50"
    assert cell_text(Decimal("88.0"), "percent") == "88.0%"
    assert cell_text(5, "number") == "5"
    assert cell_text(Decimal(5), "number") == "5.00"
    funnel = funnel_table(Figures(registered=10, archived=4), FUNNEL)
    assert [c.text for c in display_rows(funnel)[1]] == ["已建档", "4", "40.0%"]
    totals = totals_table(Figures(), STAGES)
    assert display_rows(totals)[-1][3].text == "—"  # no balance: no online share


def test_the_engine_imports_no_django():
    engine = Path(__file__).resolve().parent.parent / "engine"
    for module in engine.glob("*.py"):
        tree = ast.parse(module.read_text())
        imported = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            (node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
        }
        assert not imported & {"django", "celery", "rest_framework"}, module.name
