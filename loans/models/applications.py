"""Loan applications (贷款申请): what a borrower asked for, through which channel, and the
decision."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fuxiang.fields import staff_ref
from loans.engine import states
from loans.engine.schedules import METHOD_LABELS
from loans.models.ledger import (
    ONE_SUBJECT,
    Channel,
    Subject,
    VerificationMethod,
    money_field,
    state_choices,
    subject_fields,
)
from loans.models.products import LoanProduct, LoanProductVersion, RepaymentMethod


class LoanApplication(Subject):
    household, business_entity = subject_fields("loan_applications")
    product = models.ForeignKey(
        LoanProduct, verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+"
    )
    product_version = models.ForeignKey(
        LoanProductVersion, verbose_name=_("产品版本"), on_delete=models.PROTECT, related_name="+"
    )
    amount = money_field(_("申请金额（元）"))
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    repayment_method = models.CharField(
        _("还款方式"), max_length=20, choices=RepaymentMethod.choices
    )
    purpose = models.CharField(_("贷款用途"), max_length=100)
    # the person who applies for a household: its head, or the head's adult spouse
    applicant_member = models.ForeignKey(
        "households.Member",
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    collateral_value = money_field(_("抵押物评估价值（元）"), null=True, blank=True)
    collateral_description = models.CharField(_("抵押物"), max_length=200, blank=True)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    verification_method = models.CharField(
        _("身份核验方式"), max_length=10, choices=VerificationMethod.choices
    )
    verified_at = models.DateTimeField(_("核验时间"))
    client_ip = models.GenericIPAddressField(_("来源IP"), null=True, blank=True)
    user_agent = models.CharField(_("终端"), max_length=300, blank=True)
    submitted_by = staff_ref(_("经办人"))
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    status = models.CharField(
        _("状态"), max_length=14, choices=state_choices(states.APPLICATION), default="submitted"
    )
    reasons = models.JSONField(_("决定原因"), default=list, blank=True)
    # the fresh check of the line at the decision
    credit_line_id = models.BigIntegerField(_("授信额度"), null=True, blank=True)
    grade = models.CharField(_("评级"), max_length=8, blank=True)
    line_amount = money_field(_("授信额度（元）"), null=True, blank=True)
    available = money_field(_("可用额度（元）"), null=True, blank=True)
    rate_bp = models.IntegerField(_("年利率（基点）"), null=True, blank=True)
    whitelist_version = models.PositiveIntegerField(_("白名单版本"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decided_by = staff_ref(_("审核人"))
    review_note = models.CharField(_("审核意见"), max_length=200, blank=True)
    expires_at = models.DateTimeField(_("签约截止"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("贷款申请")
        verbose_name_plural = _("贷款申请")
        ordering = ("-submitted_at", "-id")
        indexes = [
            models.Index(fields=["status", "product"], name="loan_application_status"),
            models.Index(fields=["submitted_at", "id"], name="loan_application_list_order"),
        ]
        constraints = [
            models.CheckConstraint(condition=ONE_SUBJECT, name="loan_application_one_subject"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="loan_application_amount"),
            models.CheckConstraint(
                condition=Q(status__in=list(states.MACHINES[states.APPLICATION])),
                name="loan_application_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["submitted", "under_review"]) | Q(decided_at__isnull=False),
                name="loan_application_decided",
                violation_error_message="已决定的申请须记录决定时间",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(reasons=[]),
                name="loan_application_declined_says_why",
                violation_error_message="未通过的申请须记录原因",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "signed"])
                | (Q(rate_bp__isnull=False) & Q(expires_at__isnull=False)),
                name="loan_application_approved_terms",
            ),
            models.UniqueConstraint(
                fields=["household", "product"],
                condition=Q(status__in=sorted(states.OPEN_APPLICATION_STATES)),
                name="loan_application_one_open_per_household",
                violation_error_message="该产品已有一笔办理中的申请，请先签约或撤回",
            ),
            models.UniqueConstraint(
                fields=["business_entity", "product"],
                condition=Q(status__in=sorted(states.OPEN_APPLICATION_STATES)),
                name="loan_application_one_open_per_entity",
                violation_error_message="该产品已有一笔办理中的申请，请先签约或撤回",
            ),
        ]

    def __str__(self) -> str:
        return f"贷款申请#{self.pk} {self.amount}元（{self.get_status_display()}）"

    @property
    def method_label(self) -> str:
        return METHOD_LABELS.get(self.repayment_method, self.repayment_method)

    @property
    def reason_messages(self) -> list[str]:
        return [r.get("message", "") for r in self.reasons]
