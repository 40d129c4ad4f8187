"""The loan ledger: applications, contracts, loans (借据) with their instalments, drawdowns,
repayments — and the two rows that keep money from moving twice: the credit exposure of each
borrower (locked by every service that moves money) and the idempotency records.

Status fields move only along ``loans.engine.states`` (services call ``transition``; on
PostgreSQL a trigger refuses any other move); the check constraints keep each state's fields
consistent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fuxiang.fields import staff_ref
from loans.engine import states
from loans.engine.schedules import METHOD_LABELS
from loans.models.products import LoanProduct, LoanProductVersion, RepaymentMethod

ONE_SUBJECT = (Q(household__isnull=False) & Q(business_entity__isnull=True)) | (
    Q(household__isnull=True) & Q(business_entity__isnull=False)
)


def _choices(machine: str) -> list[tuple[str, Any]]:
    return [(k, _(v)) for k, v in states.LABELS[machine].items()]


def _money(label: Any, **kwargs: Any) -> models.DecimalField:
    return models.DecimalField(label, max_digits=14, decimal_places=2, **kwargs)


def _subject_fields(related: str) -> tuple[models.ForeignKey, models.ForeignKey]:
    return (
        models.ForeignKey(
            "households.Household",
            verbose_name=_("农户"),
            on_delete=models.PROTECT,
            related_name=related,
            null=True,
            blank=True,
        ),
        models.ForeignKey(
            "households.BusinessEntity",
            verbose_name=_("经营主体"),
            on_delete=models.PROTECT,
            related_name=related,
            null=True,
            blank=True,
        ),
    )


class Subject(models.Model):
    """A borrower: a household, or a business entity with its own credit line."""

    class Meta:
        abstract = True

    def subject(self) -> Any:
        return self.household if self.household_id else self.business_entity  # type: ignore[attr-defined]

    @property
    def subject_label(self) -> str:
        if self.household_id:  # type: ignore[attr-defined]
            return f"{self.household_id}号户"  # type: ignore[attr-defined]
        return f"经营主体#{self.business_entity_id}"  # type: ignore[attr-defined]


class Channel(models.TextChoices):
    VILLAGER = "villager", _("码上贷（村民扫码）")
    PLATFORM = "platform", _("线上贷款平台")
    BRANCH = "branch", _("客户经理/网点")


class VerificationMethod(models.TextChoices):
    SMS = "sms", _("短信验证码")
    IN_PERSON = "in_person", _("客户经理当面核实")
    PLATFORM = "platform", _("平台实名认证")
    WECHAT = "wechat", _("微信绑定（曾短信验证）")


# --- exposure and idempotency ----------------------------------------------------------------


class CreditExposure(models.Model):
    """How much of a borrower's line is in use (占用额度) and how much principal is
    outstanding. Credit lines are superseded at every rating run, so this lives here, one row
    per borrower, and every service that moves money locks it (``select_for_update``) first:
    signing, drawing and repaying of one borrower happen one at a time."""

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
    in_use = _money(_("占用额度（元）"), default=0)
    outstanding = _money(_("贷款余额（元）"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("授信占用")
        verbose_name_plural = _("授信占用")
        constraints = [
            models.CheckConstraint(condition=ONE_SUBJECT, name="exposure_one_subject"),
            models.CheckConstraint(
                condition=Q(outstanding__gte=0) & Q(in_use__gte=F("outstanding")),
                name="exposure_outstanding_within_use",
                violation_error_message="贷款余额不能超过占用额度",
            ),
        ]

    def __str__(self) -> str:
        return f"占用{self.in_use}元，余额{self.outstanding}元"


class IdempotencyRecord(models.Model):
    """The first result of a money-moving request, by (scope, key): a retry with the same key
    gets the same result; the same key with another payload is refused."""

    scope = models.CharField(_("范围"), max_length=120)
    key = models.CharField(_("幂等键"), max_length=100)
    fingerprint = models.CharField(_("请求摘要"), max_length=64)
    resource_type = models.CharField(_("结果类型"), max_length=60, blank=True)
    resource_id = models.BigIntegerField(_("结果编号"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("幂等记录")
        verbose_name_plural = _("幂等记录")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


# --- applications -----------------------------------------------------------------------------


class LoanApplication(Subject):
    household, business_entity = _subject_fields("loan_applications")
    product = models.ForeignKey(
        LoanProduct, verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+"
    )
    product_version = models.ForeignKey(
        LoanProductVersion, verbose_name=_("产品版本"), on_delete=models.PROTECT, related_name="+"
    )
    amount = _money(_("申请金额（元）"))
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    repayment_method = models.CharField(
        _("还款方式"), max_length=20, choices=RepaymentMethod.choices
    )
    purpose = models.CharField(_("贷款用途"), max_length=100)
    collateral_value = _money(_("抵押物评估价值（元）"), null=True, blank=True)
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
        _("状态"), max_length=14, choices=_choices(states.APPLICATION), default="submitted"
    )
    reasons = models.JSONField(_("决定原因"), default=list, blank=True)
    # the fresh check of the line at the decision
    credit_line_id = models.BigIntegerField(_("授信额度"), null=True, blank=True)
    grade = models.CharField(_("评级"), max_length=8, blank=True)
    line_amount = _money(_("授信额度（元）"), null=True, blank=True)
    available = _money(_("可用额度（元）"), null=True, blank=True)
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
        indexes = [models.Index(fields=["status", "product"], name="loan_application_status")]
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


# --- contracts --------------------------------------------------------------------------------


class ContractTemplate(models.Model):
    """A version of the contract text (a Django template rendered once, at signing). Templates
    are only added: a signed contract keeps the text it was signed with."""

    version = models.CharField(_("版本号"), max_length=20, unique=True)
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("正文模板"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("合同模板")
        verbose_name_plural = _("合同模板")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.title}（{self.version}）"


# The evidence of the signature and the text it signed: never changed once written (the
# services never write them again; on PostgreSQL a trigger refuses it).
CONTRACT_IMMUTABLE_COLUMNS = (
    "number",
    "application_id",
    "amount",
    "rate_bp",
    "term_months",
    "repayment_method",
    "start_date",
    "maturity_date",
    "template_id",
    "rendered_text",
    "text_sha256",
    "signed_at",
    "signing_channel",
    "signing_method",
    "verification_ref",
    "verified_at",
    "signed_ip",
    "signed_user_agent",
)


class LoanContract(Subject):
    number = models.CharField(_("合同编号"), max_length=30, unique=True)
    application = models.OneToOneField(
        LoanApplication, verbose_name=_("申请"), on_delete=models.PROTECT, related_name="contract"
    )
    household, business_entity = _subject_fields("loan_contracts")
    product_version = models.ForeignKey(
        LoanProductVersion, verbose_name=_("产品版本"), on_delete=models.PROTECT, related_name="+"
    )
    template = models.ForeignKey(
        ContractTemplate, verbose_name=_("合同模板"), on_delete=models.PROTECT, related_name="+"
    )
    amount = _money(_("合同金额（元）"))
    rate_bp = models.IntegerField(_("年利率（基点）"))
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    repayment_method = models.CharField(
        _("还款方式"), max_length=20, choices=RepaymentMethod.choices
    )
    start_date = models.DateField(_("起始日"))
    maturity_date = models.DateField(_("到期日"))
    status = models.CharField(
        _("状态"), max_length=12, choices=_choices(states.CONTRACT), default="signed"
    )
    occupied = _money(_("占用额度（元）"))
    drawn_total = _money(_("累计放款（元）"), default=0)
    rendered_text = models.TextField(_("合同文本"))
    text_sha256 = models.CharField(_("文本SHA-256"), max_length=64)
    borrower_name_masked = models.CharField(_("借款人"), max_length=60)
    borrower_id_masked = models.CharField(_("证件号码"), max_length=20)
    signed_at = models.DateTimeField(_("签约时间"))
    signing_channel = models.CharField(_("签约渠道"), max_length=10, choices=Channel.choices)
    signing_method = models.CharField(
        _("签约确认方式"), max_length=10, choices=VerificationMethod.choices
    )
    verification_ref = models.CharField(_("验证凭据"), max_length=64)
    verified_at = models.DateTimeField(_("验证时间"))
    signed_ip = models.GenericIPAddressField(_("签约IP"), null=True, blank=True)
    signed_user_agent = models.CharField(_("签约终端"), max_length=300, blank=True)
    signed_by_staff = staff_ref(_("经办客户经理"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("贷款合同")
        verbose_name_plural = _("贷款合同")
        ordering = ("-signed_at", "-id")
        constraints = [
            models.CheckConstraint(condition=ONE_SUBJECT, name="loan_contract_one_subject"),
            models.CheckConstraint(
                condition=Q(status__in=list(states.MACHINES[states.CONTRACT])),
                name="loan_contract_status_known",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(occupied__gte=0)
                & Q(occupied__lte=F("amount"))
                & Q(drawn_total__gte=0),
                name="loan_contract_amounts",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["closed", "terminated"])
                | (Q(occupied=0) & Q(closed_at__isnull=False)),
                name="loan_contract_ended_releases",
                violation_error_message="已结清或终止的合同不再占用额度",
            ),
            models.CheckConstraint(
                condition=Q(maturity_date__gt=F("start_date")), name="loan_contract_dates"
            ),
            models.UniqueConstraint(
                fields=["signing_channel", "verification_ref"],
                name="loan_contract_verification_once",
                violation_error_message="该验证码已用于签约，不能重复使用",
            ),
        ]

    def __str__(self) -> str:
        return f"贷款合同{self.number}"

    @property
    def method_label(self) -> str:
        return METHOD_LABELS.get(self.repayment_method, self.repayment_method)

    @property
    def revolving(self) -> bool:
        return self.repayment_method == RepaymentMethod.REVOLVING


# --- loans, instalments, drawdowns, repayments ----------------------------------------------


class Loan(Subject):
    """A loan (借据): the money drawn on a contract. An instalment contract has one, with its
    schedule; a revolving contract has one account whose balance draws and repayments move."""

    number = models.CharField(_("借据号"), max_length=30, unique=True)
    contract = models.ForeignKey(
        LoanContract, verbose_name=_("合同"), on_delete=models.PROTECT, related_name="loans"
    )
    household, business_entity = _subject_fields("loans")
    village = models.ForeignKey(
        "households.Village", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    repayment_method = models.CharField(
        _("还款方式"), max_length=20, choices=RepaymentMethod.choices
    )
    rate_bp = models.IntegerField(_("年利率（基点）"))
    principal = _money(_("放款本金（元）"))
    principal_outstanding = _money(_("本金余额（元）"))
    interest_accrued = _money(_("应计未付利息（元）"), default=0)
    accrued_to = models.DateField(_("计息至"))
    start_date = models.DateField(_("放款日"))
    maturity_date = models.DateField(_("到期日"))
    status = models.CharField(
        _("状态"), max_length=10, choices=_choices(states.LOAN), default="active"
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
    principal = _money(_("应还本金（元）"))
    interest = _money(_("应还利息（元）"))
    principal_paid = _money(_("已还本金（元）"), default=0)
    interest_paid = _money(_("已还利息（元）"), default=0)
    interest_waived = _money(_("免收利息（元）"), default=0)
    status = models.CharField(
        _("状态"), max_length=10, choices=_choices(states.INSTALMENT), default="pending"
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
    amount = _money(_("放款金额（元）"))
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
    amount = _money(_("还款金额（元）"))
    principal_part = _money(_("归还本金（元）"))
    interest_part = _money(_("归还利息（元）"))
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
