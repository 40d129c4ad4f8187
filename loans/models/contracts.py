"""Contract templates and signed loan contracts (借款合同): the amount occupied on the
borrower's line, the signature, the columns a signed contract never changes."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fuxiang.fields import staff_ref
from loans.engine import states
from loans.engine.schedules import METHOD_LABELS
from loans.models.applications import LoanApplication
from loans.models.ledger import (
    ONE_SUBJECT,
    Channel,
    Subject,
    VerificationMethod,
    money_field,
    state_choices,
    subject_fields,
)
from loans.models.products import LoanProductVersion, RepaymentMethod


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
    household, business_entity = subject_fields("loan_contracts")
    product_version = models.ForeignKey(
        LoanProductVersion, verbose_name=_("产品版本"), on_delete=models.PROTECT, related_name="+"
    )
    template = models.ForeignKey(
        ContractTemplate, verbose_name=_("合同模板"), on_delete=models.PROTECT, related_name="+"
    )
    amount = money_field(_("合同金额（元）"))
    rate_bp = models.IntegerField(_("年利率（基点）"))
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    repayment_method = models.CharField(
        _("还款方式"), max_length=20, choices=RepaymentMethod.choices
    )
    start_date = models.DateField(_("起始日"))
    maturity_date = models.DateField(_("到期日"))
    status = models.CharField(
        _("状态"), max_length=12, choices=state_choices(states.CONTRACT), default="signed"
    )
    occupied = money_field(_("占用额度（元）"))
    drawn_total = money_field(_("累计放款（元）"), default=0)
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
