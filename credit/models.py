"""Credit (授信): policy versions, credit lines and overrides.

A household's *current* credit line is the line made from its *current* rating result: lines
are written beside the results while a run rates each village (``credit.lines``), and the
rating run's publish switches ``rating.CurrentRating`` for the whole scope in one transaction —
so the new grade and the new limit become visible together, and a run that never publishes
(failed, cancelled, a what-if) never shows a line to anyone.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from credit import engine
from fuxiang.fields import staff_ref
from fuxiang.formatting import format_rmb


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已退回")


class CreditPolicyVersion(models.Model):
    """One version of the credit policy (docs/design.md §4.6) as data. Approved versions never
    change; the version in force on a day is the approved one with the latest
    ``effective_from`` on or before it, so versions follow each other without gaps."""

    version = models.CharField(_("版本号"), max_length=20, unique=True)
    effective_from = models.DateField(_("生效日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT
    )
    data = models.JSONField(_("政策参数"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = staff_ref(_("起草人"))
    created_at = models.DateTimeField(_("起草时间"), auto_now_add=True)
    submitted_by = staff_ref(_("提交人"))
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_by = staff_ref(_("审批人"))
    reviewed_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    review_note = models.CharField(_("审批意见"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("授信政策版本")
        verbose_name_plural = _("授信政策版本")
        ordering = ("-effective_from", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["effective_from"],
                condition=Q(status="approved"),
                name="credit_policy_one_per_day",
                violation_error_message="同一生效日期只能有一个已批准的授信政策",
            ),
        ]

    def __str__(self) -> str:
        return f"授信政策 {self.version}（{self.effective_from:%Y-%m-%d}起）"

    @property
    def policy(self) -> engine.CreditPolicy:
        return engine.policy_from_json(self.data)


class LineStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    SUSPENDED = "suspended", _("已冻结")
    EXPIRED = "expired", _("已到期")
    REVOKED = "revoked", _("已撤销")


class CreditLine(models.Model):
    """A pre-approved credit line (授信额度) made from one rating result under one policy
    version. Household lines are shared by the household's members and its enterprises; an
    enterprise or agricultural entity rated on its own card has its own line.

    The trace is stored term by term: the limit's three bounds and what bound it, and every
    basis point of the rate (``rate_bp`` is their sum — a database check). Only subjects
    granted a limit get a line; "why not" is the rating result's to explain.

    Like the rating results, lines are written in bulk beside them and carry no database
    foreign-key checks (their subjects, policy and override are read by the statement that
    writes them; none of them is ever deleted)."""

    run = models.ForeignKey(
        "rating.RatingRun",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,  # written by the chunk that owns the run's rows, like its results
    )
    village = models.ForeignKey(
        "households.Village",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    rating_result = models.OneToOneField(
        "rating.RatingResult",
        verbose_name=_("评级结果"),
        on_delete=models.CASCADE,
        related_name="credit_line",
        db_constraint=False,
    )
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.PROTECT,
        related_name="credit_lines",
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
    )
    business_entity = models.ForeignKey(
        "households.BusinessEntity",
        on_delete=models.PROTECT,
        related_name="credit_lines",
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
    )
    policy = models.ForeignKey(
        CreditPolicyVersion,
        verbose_name=_("授信政策"),
        on_delete=models.PROTECT,
        related_name="lines",
        db_index=False,
        db_constraint=False,
    )
    override = models.ForeignKey(
        "credit.CreditOverride",
        verbose_name=_("人工调整"),
        on_delete=models.PROTECT,
        related_name="lines",
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
    )
    grade = models.CharField(_("授信等级"), max_length=8)
    amount = models.DecimalField(_("授信额度（元）"), max_digits=14, decimal_places=2)
    online_eligible = models.BooleanField(_("可线上办理"), default=False)
    # the limit's trace
    cap = models.DecimalField(_("等级额度上限"), max_digits=14, decimal_places=2)
    by_income = models.DecimalField(_("按收入测算"), max_digits=18, decimal_places=4)
    by_assets = models.DecimalField(_("按净资产测算"), max_digits=18, decimal_places=4)
    binding = models.CharField(_("约束项"), max_length=12)
    # the rate's trace, in basis points (signed as they act on the rate)
    rate_bp = models.IntegerField(_("年利率（基点）"))
    lpr_bp = models.IntegerField(_("LPR"))
    spread_bp = models.IntegerField(_("等级加点"))
    deposit_bp = models.IntegerField(_("存款贡献"), default=0)
    payroll_bp = models.IntegerField(_("代发工资"), default=0)
    mobile_bp = models.IntegerField(_("手机银行"), default=0)
    clean_bp = models.IntegerField(_("还款记录"), default=0)
    cap_back_bp = models.IntegerField(_("贡献封顶回补"), default=0)
    low_income_bp = models.IntegerField(_("低收入户优惠"), default=0)
    floor_bp = models.IntegerField(_("下限调整"), default=0)
    ceiling_bp = models.IntegerField(_("上限调整"), default=0)
    valid_from = models.DateField(_("生效日"))
    valid_to = models.DateField(_("到期日"))
    status = models.CharField(
        _("状态"), max_length=10, choices=LineStatus.choices, default=LineStatus.ACTIVE
    )
    status_reason = models.CharField(_("状态原因"), max_length=200, blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("授信额度")
        verbose_name_plural = _("授信额度")
        ordering = ("-id",)
        # A county run writes ~160,000 lines: only the indexes reads need. A subject's
        # current line is found through its current rating result (the one-to-one's unique
        # index); the nightly expiry scans once a day.
        indexes = [
            models.Index(fields=["run", "village"], name="credit_line_run_village"),
            # the list of lines, largest first (``selectors.line_page``: keyset pages)
            models.Index(
                fields=["-amount", "id"], name="credit_line_list_order", include=["village"]
            ),
            # the few held lines of a run, for the publish (``services.holds_apply``)
            models.Index(
                fields=["run"],
                condition=Q(status__in=("suspended", "revoked")),
                name="credit_line_run_held",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    rate_bp=F("lpr_bp")
                    + F("spread_bp")
                    + F("deposit_bp")
                    + F("payroll_bp")
                    + F("mobile_bp")
                    + F("clean_bp")
                    + F("cap_back_bp")
                    + F("low_income_bp")
                    + F("floor_bp")
                    + F("ceiling_bp")
                ),
                name="credit_line_rate_is_its_terms",
                violation_error_message="利率必须等于各组成项之和",
            ),
            models.CheckConstraint(
                condition=(Q(household__isnull=False) & Q(business_entity__isnull=True))
                | (Q(household__isnull=True) & Q(business_entity__isnull=False)),
                name="credit_line_one_subject",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_line_positive"),
        ]

    def __str__(self) -> str:
        return f"授信额度 {format_rmb(self.amount)}（{self.get_status_display()}）"

    @property
    def rate_percent(self) -> str:
        return engine.rate_percent(self.rate_bp)

    @property
    def rate_terms(self) -> list[tuple[str, int]]:
        """(code, basis points) of every term that acted on the rate, in the engine's order."""
        terms = [
            ("lpr", self.lpr_bp),
            ("grade_spread", self.spread_bp),
            ("deposit", self.deposit_bp),
            ("payroll", self.payroll_bp),
            ("mobile_banking", self.mobile_bp),
            ("clean_history", self.clean_bp),
            ("contribution_cap", self.cap_back_bp),
            ("low_income", self.low_income_bp),
            ("floor", self.floor_bp),
            ("ceiling", self.ceiling_bp),
        ]
        return [(code, bp) for code, bp in terms if bp or code in ("lpr", "grade_spread")]


class HoldSource(models.TextChoices):
    MANUAL = "manual", _("人工")
    WATCHLIST = "watchlist", _("名单命中")


class CreditHold(models.Model):
    """A subject's credit held (冻结) or revoked (撤销), whatever line is current: the lines a
    re-rating writes — and the run that publishes them, however long it ran — take their
    status from here, so a hold survives runs, runs in flight, and ratings that grant no line
    for a while. One per subject; lifting a suspension deletes it (audited)."""

    household = models.OneToOneField(
        "households.Household",
        on_delete=models.PROTECT,
        related_name="credit_hold",
        null=True,
        blank=True,
    )
    business_entity = models.OneToOneField(
        "households.BusinessEntity",
        on_delete=models.PROTECT,
        related_name="credit_hold",
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=[
            (LineStatus.SUSPENDED, LineStatus.SUSPENDED.label),
            (LineStatus.REVOKED, LineStatus.REVOKED.label),
        ],
    )
    source = models.CharField(_("来源"), max_length=10, choices=HoldSource.choices)
    reason = models.CharField(_("原因"), max_length=200)
    held_by = staff_ref(_("操作人"))
    held_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("授信冻结")
        verbose_name_plural = _("授信冻结")
        constraints = [
            models.CheckConstraint(
                condition=(Q(household__isnull=False) & Q(business_entity__isnull=True))
                | (Q(household__isnull=True) & Q(business_entity__isnull=False)),
                name="credit_hold_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}：{self.reason}"


class OverrideKind(models.TextChoices):
    GRADE = "grade", _("调整授信等级")
    LIMIT = "limit", _("调整授信额度")


class OverrideStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审批")
    APPROVED = "approved", _("已批准")
    NEEDS_REVIEW = "needs_review", _("待复核")
    REJECTED = "rejected", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")


# An override that holds its subject: one per subject (partial unique constraints below).
OPEN_OVERRIDE_STATUSES = ("proposed", "approved", "needs_review")


class CreditOverride(models.Model):
    """An officer's correction of the machine (人工调整): a different grade or limit for one
    subject, with a reason and evidence, proposed by one user and approved by another. An
    approved override applies to every later run until ``valid_until`` or its withdrawal —
    as long as the subject keeps the grade and the cap it was approved under
    (``approved_grade``, ``approved_cap``, stored at approval): a run that rates it lower
    leaves the override out of its line and, when it publishes, sets it 待复核
    (``needs_review``) for a manager to approve again or withdraw
    (``credit.engine.override_outlived``)."""

    household = models.ForeignKey(
        "households.Household",
        on_delete=models.PROTECT,
        related_name="credit_overrides",
        null=True,
        blank=True,
    )
    business_entity = models.ForeignKey(
        "households.BusinessEntity",
        on_delete=models.PROTECT,
        related_name="credit_overrides",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("调整类型"), max_length=8, choices=OverrideKind.choices)
    grade = models.CharField(_("调整后等级"), max_length=8, blank=True)
    amount = models.DecimalField(
        _("调整后额度（元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    reason = models.CharField(_("调整理由"), max_length=300)
    evidence = models.TextField(_("依据材料"), blank=True)
    valid_until = models.DateField(_("有效期至"))
    status = models.CharField(
        _("状态"), max_length=12, choices=OverrideStatus.choices, default=OverrideStatus.PROPOSED
    )
    approved_grade = models.CharField(_("批准时评级"), max_length=8, blank=True)
    approved_cap = models.DecimalField(
        _("批准时等级额度上限（元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    review_reason = models.CharField(_("待复核原因"), max_length=200, blank=True)
    review_since = models.DateTimeField(_("转待复核时间"), null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提议人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("提议时间"), auto_now_add=True)
    reviewed_by = staff_ref(_("审批人"))
    reviewed_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    review_note = models.CharField(_("审批意见"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("人工调整")
        verbose_name_plural = _("人工调整")
        ordering = ("-proposed_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=(Q(household__isnull=False) & Q(business_entity__isnull=True))
                | (Q(household__isnull=True) & Q(business_entity__isnull=False)),
                name="credit_override_one_subject",
            ),
            models.CheckConstraint(
                condition=(Q(kind="grade") & ~Q(grade="") & Q(amount__isnull=True))
                | (Q(kind="limit") & Q(grade="") & Q(amount__gt=0)),
                name="credit_override_says_what",
                violation_error_message="调整等级须填写等级，调整额度须填写大于0的额度",
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(status__in=OPEN_OVERRIDE_STATUSES),
                name="credit_override_one_open_per_household",
                violation_error_message="该户已有待审批、生效中或待复核的人工调整",
            ),
            models.UniqueConstraint(
                fields=["business_entity"],
                condition=Q(status__in=OPEN_OVERRIDE_STATUSES),
                name="credit_override_one_open_per_entity",
                violation_error_message="该主体已有待审批、生效中或待复核的人工调整",
            ),
            # What the approval judged stays with it, for as long as it may apply.
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "needs_review"])
                | (~Q(approved_grade="") & Q(approved_cap__isnull=False) & Q(approved_cap__gte=0)),
                name="credit_override_approved_under",
                violation_error_message="已批准的人工调整须记录批准时的评级和等级额度上限",
            ),
            models.CheckConstraint(
                condition=~Q(status="needs_review")
                | (~Q(review_reason="") & Q(review_since__isnull=False)),
                name="credit_override_review_says_why",
                violation_error_message="待复核的人工调整须记录原因和时间",
            ),
        ]

    def __str__(self) -> str:
        what = f"{self.grade}级" if self.kind == OverrideKind.GRADE else format_rmb(self.amount)
        return f"人工调整：{what}（{self.get_status_display()}）"

    def subject(self) -> Any:
        return self.household or self.business_entity


class CreditSimulation(models.Model):
    """A what-if (模拟测算): a rating run in simulation mode — with the cards it names — plus
    the credit policy its lines are computed under (``None``: the policy in force). Nothing of
    it is ever current; the report compares it with what is current."""

    run = models.OneToOneField(
        "rating.RatingRun", verbose_name=_("评级任务"), on_delete=models.PROTECT, related_name="+"
    )
    policy = models.ForeignKey(
        CreditPolicyVersion,
        verbose_name=_("授信政策"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    started_by = staff_ref(_("发起人"))
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    report = models.JSONField(_("测算结果"), null=True, blank=True)

    class Meta:
        verbose_name = _("模拟测算")
        verbose_name_plural = _("模拟测算")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"模拟测算#{self.pk}"
