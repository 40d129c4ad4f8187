"""Loans (借据) with their instalments (还款计划) and drawdowns (放款)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fuxiang.fields import staff_ref
from loans.engine import states
from loans.engine.schedules import METHOD_LABELS
from loans.models.contracts import LoanContract
from loans.models.ledger import (
    ONE_SUBJECT,
    Channel,
    Subject,
    money_field,
    state_choices,
    subject_fields,
)
from loans.models.products import RepaymentMethod


class Loan(Subject):
    """A loan (借据): the money drawn on a contract. An instalment contract has one, with its
    schedule; a revolving contract has one account whose balance draws and repayments move."""

    number = models.CharField(_("借据号"), max_length=30, unique=True)
    contract = models.ForeignKey(
        LoanContract, verbose_name=_("合同"), on_delete=models.PROTECT, related_name="loans"
    )
    household, business_entity = subject_fields("loans")
    village = models.ForeignKey(
        "households.Village", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    repayment_method = models.CharField(
        _("还款方式"), max_length=20, choices=RepaymentMethod.choices
    )
    rate_bp = models.IntegerField(_("年利率（基点）"))
    principal = money_field(_("放款本金（元）"))
    principal_outstanding = money_field(_("本金余额（元）"))
    interest_accrued = money_field(_("应计未付利息（元）"), default=0)
    accrued_to = models.DateField(_("计息至"))
    start_date = models.DateField(_("放款日"))
    maturity_date = models.DateField(_("到期日"))
    status = models.CharField(
        _("状态"), max_length=10, choices=state_choices(states.LOAN), default="active"
    )
    days_past_due = models.PositiveIntegerField(_("逾期天数"), default=0)
    overdue_since = models.DateField(_("逾期起始日"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结清时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("借据")
        verbose_name_plural = _("借据")
        ordering = ("-start_date", "-id")
        indexes = [
            models.Index(fields=["village", "status"], name="loan_village_status"),
            models.Index(fields=["start_date", "id"], name="loan_list_order"),
            models.Index(
                fields=["status"],
                condition=~Q(status="closed"),
                name="loan_open",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=ONE_SUBJECT, name="loan_one_subject"),
            models.CheckConstraint(
                condition=Q(status__in=list(states.MACHINES[states.LOAN])),
                name="loan_status_known",
            ),
            models.CheckConstraint(
                condition=Q(principal__gt=0)
                & Q(principal_outstanding__gte=0)
                & Q(principal_outstanding__lte=F("principal"))
                & Q(interest_accrued__gte=0),
                name="loan_amounts",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed")
                | (Q(principal_outstanding=0) & Q(interest_accrued=0) & Q(closed_at__isnull=False)),
                name="loan_closed_is_repaid",
                violation_error_message="结清的借据余额须为0",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "closed"])
                | (Q(days_past_due__gt=0) & Q(overdue_since__isnull=False)),
                name="loan_overdue_has_days",
            ),
            models.CheckConstraint(
                condition=~Q(status="bad") | Q(days_past_due__gte=states.BAD_AFTER_DAYS),
                name="loan_bad_after_days",
            ),
        ]

    def __str__(self) -> str:
        return f"借据{self.number}"

    @property
    def method_label(self) -> str:
        return METHOD_LABELS.get(self.repayment_method, self.repayment_method)


class Instalment(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField(_("期数"))
    due_date = models.DateField(_("应还日"))
    principal = money_field(_("应还本金（元）"))
    interest = money_field(_("应还利息（元）"))
    principal_paid = money_field(_("已还本金（元）"), default=0)
    interest_paid = money_field(_("已还利息（元）"), default=0)
    interest_waived = money_field(_("免收利息（元）"), default=0)
    status = models.CharField(
        _("状态"), max_length=10, choices=state_choices(states.INSTALMENT), default="pending"
    )
    overdue_since = models.DateField(_("逾期起始日"), null=True, blank=True)
    days_past_due = models.PositiveIntegerField(_("逾期天数"), default=0)
    paid_on = models.DateField(_("还清日"), null=True, blank=True)

    class Meta:
        verbose_name = _("还款计划")
        verbose_name_plural = _("还款计划")
        ordering = ("loan", "number")
        indexes = [
            models.Index(
                fields=["due_date"], condition=~Q(status="paid"), name="instalment_unpaid_due"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["loan", "number"], name="instalment_number"),
            models.CheckConstraint(
                condition=Q(status__in=list(states.MACHINES[states.INSTALMENT])),
                name="instalment_status_known",
            ),
            models.CheckConstraint(
                condition=Q(principal__gte=0)
                & Q(interest__gte=0)
                & Q(principal_paid__gte=0)
                & Q(principal_paid__lte=F("principal"))
                & Q(interest_paid__gte=0)
                & Q(interest_waived__gte=0)
                & Q(interest__gte=F("interest_paid") + F("interest_waived")),
                name="instalment_amounts",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid")
                | (
                    Q(principal_paid=F("principal"))
                    & Q(interest=F("interest_paid") + F("interest_waived"))
                    & Q(paid_on__isnull=False)
                ),
                name="instalment_paid_in_full",
            ),
            models.CheckConstraint(
                condition=~Q(status="overdue") | Q(overdue_since__isnull=False),
                name="instalment_overdue_since",
            ),
        ]

    def __str__(self) -> str:
        return f"第{self.number}期 {self.due_date:%Y-%m-%d}"

    @property
    def payment(self) -> Decimal:
        return self.principal + self.interest

    @property
    def remaining(self) -> Decimal:
        return (
            self.principal
            - self.principal_paid
            + self.interest
            - self.interest_paid
            - self.interest_waived
        )


class Drawdown(models.Model):
    contract = models.ForeignKey(LoanContract, on_delete=models.PROTECT, related_name="drawdowns")
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="drawdowns")
    amount = money_field(_("放款金额（元）"))
    value_date = models.DateField(_("起息日"))
    drawn_at = models.DateTimeField(_("放款时间"), auto_now_add=True)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    requested_by = staff_ref(_("经办人"))
    client_ip = models.GenericIPAddressField(_("来源IP"), null=True, blank=True)
    user_agent = models.CharField(_("终端"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("放款")
        verbose_name_plural = _("放款")
        ordering = ("-drawn_at", "-id")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="drawdown_amount")]

    def __str__(self) -> str:
        return f"放款{self.amount}元"
