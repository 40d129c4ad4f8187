"""The headline panel: the figures the bank reports, in its units (22.22万户, 186亿元), with
the exact figure for the hover and the table."""

from __future__ import annotations

from dataclasses import dataclass

from dashboards.engine.figures import Figures, percent
from dashboards.engine.units import bank_amount, bank_count, exact_amount, exact_count


@dataclass(frozen=True)
class HeadlineItem:
    key: str
    label: str
    short: str  # as the bank reports it
    exact: str  # the exact figure


def headline(figures: Figures) -> list[HeadlineItem]:
    share = percent(figures.online_balance, figures.balance, places=2)  # as the bank: 30.34%
    return [
        HeadlineItem(
            "registered",
            "全县农户",
            bank_count(figures.registered),
            exact_count(figures.registered),
        ),
        HeadlineItem("rated", "已评级", bank_count(figures.rated), exact_count(figures.rated)),
        HeadlineItem(
            "granted_amount",
            "授信金额",
            bank_amount(figures.granted_amount),
            exact_amount(figures.granted_amount),
        ),
        HeadlineItem(
            "scans",
            "扫码查询",
            bank_count(figures.scans, "人次"),
            exact_count(figures.scans, "人次"),
        ),
        HeadlineItem("signed", "签约户数", bank_count(figures.signed), exact_count(figures.signed)),
        HeadlineItem(
            "signed_amount",
            "签约金额",
            bank_amount(figures.signed_amount),
            exact_amount(figures.signed_amount),
        ),
        HeadlineItem(
            "drawn_amount",
            "用信金额",
            bank_amount(figures.drawn_amount),
            exact_amount(figures.drawn_amount),
        ),
        HeadlineItem(
            "online_share",
            "线上贷款占比",
            f"{share}%" if share is not None else "—",
            (
                f"线上贷款余额{exact_amount(figures.online_balance)}，"
                f"贷款余额{exact_amount(figures.balance)}"
            ),
        ),
    ]
