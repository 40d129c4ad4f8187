"""The dashboards' own tables: summaries written by the refresh (``dashboards.figures``) and
read by the pages. Nothing else writes them, and they hold no personal data — ids, stages,
counts and amounts only; names are read from the archive, masked, when a list is shown.

Like the other bulk tables, their references to other apps' rows carry no database
foreign-key checks: the refresh writes them from statements that read those rows, and a row
that points nowhere any more is rewritten or deleted by the next refresh."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from households.models.fields import count, money


def _ref(to: str, *, null: bool = False, index: bool = False) -> models.ForeignKey:
    return models.ForeignKey(
        to,
        on_delete=models.DO_NOTHING,
        related_name="+",
        null=null,
        blank=null,
        db_constraint=False,
        db_index=index,
    )


class HouseholdStage(models.Model):
    """Where one household (not closed) stands in the funnel, as of the last refresh: one row
    per household, rewritten only when something changed. The village pages list households
    by stage from here, so a list always agrees with the counts beside it."""

    household = models.OneToOneField(
        "households.Household",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    village = _ref("households.Village", index=True)
    archived_at = models.DateTimeField(_("建档时间"))
    visits = count(_("走访次数"))
    last_visit_at = models.DateTimeField(_("最近走访"), null=True, blank=True)
    grade = models.CharField(_("当前评级"), max_length=8, blank=True)  # "": not rated
    knocked_out = models.BooleanField(_("一票否决"), default=False)
    line_status = models.CharField(_("授信状态"), max_length=10, blank=True)  # "": no line
    granted = models.BooleanField(_("已授信"), default=False)
    granted_amount = money(_("授信额度（元）"))
    online_eligible = models.BooleanField(_("可线上办理"), default=False)
    looked_up = models.BooleanField(_("已查询"), default=False)
    applied = models.BooleanField(_("已申请贷款"), default=False)
    signed_amount = money(_("签约金额（元）"))
    drawn_amount = money(_("用信金额（元）"))
    balance = money(_("贷款余额（元）"))
    online_balance = money(_("线上贷款余额（元）"))

    class Meta:
        verbose_name = _("农户进度")
        verbose_name_plural = _("农户进度")

    def __str__(self) -> str:
        return f"{self.household_id}号户进度"


class Period(models.TextChoices):
    DAY = "day", _("日")
    WEEK = "week", _("周")


class VillageFigures(models.Model):
    """The figures of one village on one day (``period`` day; the latest refresh of the day)
    or in one week (``period`` week, ``day`` its Monday; the latest refresh of the week), for
    the trends. A row with no village holds what belongs to a grid but to none of its villages
    (scans of an officer's own code, requests not tied to a village); with no grid either, to
    the county alone. Counts and amounts are defined in docs/dashboards.md."""

    period = models.CharField(_("周期"), max_length=4, choices=Period.choices)
    day = models.DateField(_("日期"))
    as_of = models.DateTimeField(_("统计时间"))
    village = _ref("households.Village", null=True)
    township = _ref("households.Township", null=True)
    grid = _ref("households.Grid", null=True)

    registered = count(_("户籍户数"))
    archived = count(_("已建档"))
    visited = count(_("已走访"))
    rated = count(_("已评级"))
    granted = count(_("已授信"))
    granted_amount = money(_("授信金额"))
    online_eligible = count(_("可线上办理"))
    looked_up = count(_("已查询户数"))
    scans = count(_("扫码查询人次"))
    verified = count(_("验证查询人次"))
    requests_pending = count(_("待办申请"))
    requests_overdue = count(_("逾期申请"))
    applied = count(_("已申请"))
    signed = count(_("已签约"))
    signed_amount = money(_("签约金额"))
    drawn = count(_("已用信"))
    drawn_amount = money(_("用信金额"))
    balance = money(_("贷款余额"))
    online_balance = money(_("线上贷款余额"))
    stalled_unrated = count(_("建档未评级（超期）"))
    granted_not_looked_up = count(_("已授信未查询"))
    signed_not_drawn = count(_("已签约未用信"))

    class Meta:
        verbose_name = _("村汇总")
        verbose_name_plural = _("村汇总")
        indexes = [models.Index(fields=["period", "day"], name="dash_figures_period_day")]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "day", "village"],
                condition=Q(village__isnull=False),
                name="dash_figures_one_per_village",
            ),
            models.UniqueConstraint(
                fields=["period", "day", "grid"],
                condition=Q(village__isnull=True, grid__isnull=False),
                name="dash_figures_one_rest_per_grid",
            ),
            models.UniqueConstraint(
                fields=["period", "day"],
                condition=Q(village__isnull=True, grid__isnull=True),
                name="dash_figures_one_county_rest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_period_display()} {self.day} 村#{self.village_id}"


class WeeklyActivity(models.Model):
    """Officers' work in one week, per village (by the visited household's village) or, for
    requests not tied to a village, per grid: visits, and requests whose deadline fell in the
    week and has passed, with those answered on time. An officer's figures are their grids'."""

    week = models.DateField(_("周（周一）"))
    village = _ref("households.Village", null=True)
    grid = _ref("households.Grid", null=True)
    visits = count(_("走访次数"))
    requests_due = count(_("到期申请"))
    requests_on_time = count(_("按时办结"))

    class Meta:
        verbose_name = _("周工作量")
        verbose_name_plural = _("周工作量")
        indexes = [models.Index(fields=["week"], name="dash_activity_week")]

    def __str__(self) -> str:
        return f"{self.week} 走访{self.visits}"
