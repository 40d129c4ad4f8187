"""Repayments (还款): the channels, the imported bank files, each repayment and the feedback sent
to the platform."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fuxiang.fields import staff_ref
from loans.models.ledger import (
    ONE_SUBJECT,
    money_field,
)
from loans.models.loan_accounts import Loan


class RepaymentChannel(models.TextChoices):
    STAFF = "staff", _("柜面录入")
    CORE_BANKING = "core_banking", _("核心系统文件")
    VILLAGER = "villager", _("村民自助")
    PLATFORM = "platform", _("线上贷款平台")


class RepaymentImport(models.Model):
    """A core-banking repayment file and its row report."""

    file_name = models.CharField(_("文件名"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    applied = models.PositiveIntegerField(_("入账"), default=0)
    repeated = models.PositiveIntegerField(_("重复（已入账）"), default=0)
    refused = models.PositiveIntegerField(_("拒绝"), default=0)
    report = models.JSONField(_("逐行结果"), default=list)

    class Meta:
        verbose_name = _("还款文件导入")
        verbose_name_plural = _("还款文件导入")
        ordering = ("-uploaded_at", "-id")

    def __str__(self) -> str:
        return f"{self.file_name}（{self.uploaded_at:%Y-%m-%d %H:%M}）"


class Repayment(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments")
    amount = money_field(_("还款金额（元）"))
    principal_part = money_field(_("归还本金（元）"))
    interest_part = money_field(_("归还利息（元）"))
    paid_on = models.DateField(_("还款日"))
    channel = models.CharField(_("来源"), max_length=14, choices=RepaymentChannel.choices)
    reference = models.CharField(_("流水号"), max_length=64, blank=True)
    recorded_by = staff_ref(_("录入人"))
    recorded_at = models.DateTimeField(_("入账时间"), auto_now_add=True)
    source_import = models.ForeignKey(
        RepaymentImport, on_delete=models.PROTECT, related_name="repayments", null=True, blank=True
    )

    class Meta:
        verbose_name = _("还款")
        verbose_name_plural = _("还款")
        ordering = ("-paid_on", "-id")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(principal_part__gte=0)
                & Q(interest_part__gte=0)
                & Q(amount=F("principal_part") + F("interest_part")),
                name="repayment_parts",
            ),
        ]

    def __str__(self) -> str:
        return f"还款{self.amount}元（{self.paid_on:%Y-%m-%d}）"


class RepaymentFeedback(models.Model):
    """What loans last wrote into a borrower's archive (its repayment fields), so the next
    update changes only loans' own share: an officer's entry from other sources is kept."""

    household = models.OneToOneField(
        "households.Household", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    business_entity = models.OneToOneField(
        "households.BusinessEntity",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    overdue_count_24m = models.PositiveIntegerField(_("近24个月逾期次数"), default=0)
    outstanding_overdue = models.BooleanField(_("有未结清逾期"), default=False)
    bad_loan = models.BooleanField(_("有不良贷款"), default=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("还款记录回写")
        verbose_name_plural = _("还款记录回写")
        constraints = [models.CheckConstraint(condition=ONE_SUBJECT, name="feedback_one_subject")]

    def __str__(self) -> str:
        return f"逾期{self.overdue_count_24m}次"
