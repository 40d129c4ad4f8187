"""Scorecards as versioned, approved policy data. Batch runs and results come in a later slice."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rating import engine


class SubjectKind(models.TextChoices):
    HOUSEHOLD = "household", _("农户")
    ENTERPRISE = "enterprise", _("小微企业/个体工商户")
    AGRICULTURAL = "agricultural", _("新型农业经营主体")


class ScorecardStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审批")
    APPROVED = "approved", _("已批准（生效中）")
    REJECTED = "rejected", _("已退回")
    RETIRED = "retired", _("已停用")


# An approved or retired card's definition is history: results point at it.
FROZEN_STATUSES = (ScorecardStatus.APPROVED, ScorecardStatus.RETIRED)


class Scorecard(models.Model):
    """One version of a scorecard (评分卡) for one subject kind, in the engine's JSON form.

    Life cycle: draft → submitted → approved (or rejected, which may be edited back into a
    draft) → retired. *Approved* means *in force*: at most one approved card per kind (a
    partial unique constraint); approving a new version retires the previous one. Approved and
    retired definitions never change (the services refuse; on PostgreSQL a trigger refuses
    too), so a rating result can always be explained by the card it was scored with.
    """

    kind = models.CharField(_("评级对象"), max_length=12, choices=SubjectKind.choices)
    version = models.CharField(
        _("版本号"),
        max_length=20,
        validators=[
            RegexValidator(
                r"^[0-9A-Za-z][0-9A-Za-z._-]*$", "版本号只能包含字母、数字、点、横线和下划线"
            )
        ],
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ScorecardStatus.choices, default=ScorecardStatus.DRAFT
    )
    definition = models.JSONField(_("评分卡定义"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("起草人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("起草时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("退回人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    rejected_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    rejection_reason = models.CharField(_("退回原因"), max_length=200, blank=True)
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评分卡")
        verbose_name_plural = _("评分卡")
        ordering = ("kind", "-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "version"],
                name="scorecard_unique_kind_version",
                violation_error_message="该评级对象已有同一版本号的评分卡",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(status="approved"),
                name="scorecard_one_approved_per_kind",
                violation_error_message="每类评级对象只能有一张生效的评分卡",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "retired"]) | Q(approved_at__isnull=False),
                name="scorecard_approved_has_approval_time",
            ),
            # Maker-checker at the database too. Seeded cards have neither (both NULL).
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | Q(submitted_by__isnull=True)
                | ~Q(approved_by=models.F("submitted_by")),
                name="scorecard_approver_is_not_submitter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}评分卡 {self.version}（{self.get_status_display()}）"

    @property
    def is_frozen(self) -> bool:
        return self.status in FROZEN_STATUSES

    @property
    def card(self) -> engine.Scorecard:
        """The definition as the engine's card (structure checked, not re-validated)."""
        return engine.card_from_json(self.definition, validate=False)
