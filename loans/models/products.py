"""Loan products (贷款产品) and their versions: what each product offers, as data that head
office edits by versions (drafted by one user, approved by another). Contracts keep the
version they were signed under."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fuxiang.fields import staff_ref
from loans.engine import rules
from loans.engine.schedules import METHOD_LABELS


class RepaymentMethod(models.TextChoices):
    EQUAL_INSTALMENT = "equal_instalment", _("等额本息")
    EQUAL_PRINCIPAL = "equal_principal", _("等额本金")
    INTEREST_ONLY = "interest_only", _("按月付息到期还本")
    REVOLVING = "revolving", _("随借随还")


class ProductRule(models.TextChoices):
    NONE = "", _("无")
    FARMING = "farming", _("种养殖农户")
    PUBLIC_EMPLOYEE = "public_employee", _("家庭成员有公职人员")


class LoanProduct(models.Model):
    """A product the bank offers (福祥e贷, 惠农快贷, 公信贷, 房抵贷). What it offers lives in
    its versions; the approved one is in force."""

    code = models.SlugField(_("产品代码"), max_length=30, unique=True)
    name = models.CharField(_("产品名称"), max_length=50, unique=True)
    description = models.CharField(_("产品说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("贷款产品")
        verbose_name_plural = _("贷款产品")
        ordering = ("pk",)

    def __str__(self) -> str:
        return self.name


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审批")
    APPROVED = "approved", _("已批准（生效中）")
    REJECTED = "rejected", _("已退回")
    RETIRED = "retired", _("已停用")


class LoanProductVersion(models.Model):
    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(_("版本"))
    status = models.CharField(
        _("状态"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    min_amount = models.DecimalField(_("最低金额（元）"), max_digits=14, decimal_places=2)
    max_amount = models.DecimalField(_("最高金额（元）"), max_digits=14, decimal_places=2)
    grades = models.JSONField(_("准入评级"), default=list)
    subject_kinds = models.JSONField(_("准入主体"), default=list)
    terms_months = models.JSONField(_("可选期限（月）"), default=list)
    repayment_methods = models.JSONField(_("还款方式"), default=list)
    online = models.BooleanField(_("线上办理"), default=True)
    needs_review = models.BooleanField(_("须客户经理审核"), default=False)
    rule = models.CharField(
        _("准入规则"), max_length=20, choices=ProductRule.choices, blank=True, default=""
    )
    farming_income_share = models.DecimalField(
        _("种养殖收入占比下限"), max_digits=4, decimal_places=2, default=Decimal("0.30")
    )
    farming_land_mu = models.DecimalField(
        _("承包土地下限（亩）"), max_digits=8, decimal_places=2, default=Decimal(3)
    )
    collateral_ratio = models.DecimalField(
        _("抵押率上限"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    draw_within_days = models.PositiveSmallIntegerField(
        _("签约后放款期限（天）"),
        default=30,
        help_text=_("合同签订后须在此天数内放款，逾期合同失效"),
    )
    min_drawdown = models.DecimalField(
        _("单笔最低放款（元）"),
        max_digits=14,
        decimal_places=2,
        default=Decimal(1000),
        help_text=_("一次提取合同全部剩余金额时不受此限"),
    )
    note = models.CharField(_("版本说明"), max_length=200, blank=True)
    created_by = staff_ref(_("起草人"))
    created_at = models.DateTimeField(_("起草时间"), auto_now_add=True)
    submitted_by = staff_ref(_("提交人"))
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_by = staff_ref(_("审批人"))
    reviewed_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    review_note = models.CharField(_("审批意见"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("贷款产品版本")
        verbose_name_plural = _("贷款产品版本")
        ordering = ("product", "-version")
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="loan_product_version"),
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(status="approved"),
                name="loan_product_one_in_force",
                violation_error_message="每个产品只能有一个生效中的版本",
            ),
            models.CheckConstraint(
                condition=Q(min_amount__gt=0) & Q(max_amount__gte=F("min_amount")),
                name="loan_product_amount_range",
                violation_error_message="最低金额须大于0，且不高于最高金额",
            ),
            models.CheckConstraint(
                condition=Q(draw_within_days__gte=1) & Q(min_drawdown__gt=0),
                name="loan_product_drawdown_terms",
                violation_error_message="放款期限须至少1天，单笔最低放款须大于0元",
            ),
            models.CheckConstraint(
                condition=Q(collateral_ratio__isnull=True)
                | (Q(collateral_ratio__gt=0) & Q(collateral_ratio__lte=1)),
                name="loan_product_collateral_ratio",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} 第{self.version}版"

    @property
    def terms(self) -> rules.ProductTerms:
        return rules.ProductTerms(
            name=self.product.name,
            min_amount=self.min_amount,
            max_amount=self.max_amount,
            grades=tuple(self.grades),
            subject_kinds=tuple(self.subject_kinds),
            terms_months=tuple(int(t) for t in self.terms_months),
            methods=tuple(self.repayment_methods),
            online=self.online,
            needs_review=self.needs_review,
            rule=self.rule,
            farming_income_share=self.farming_income_share,
            farming_land_mu=self.farming_land_mu,
            collateral_ratio=self.collateral_ratio,
        )

    @property
    def method_labels(self) -> list[str]:
        return [METHOD_LABELS.get(m, m) for m in self.repayment_methods]

    @property
    def kind_labels(self) -> list[str]:
        return [rules.SUBJECT_KIND_LABELS.get(k, k) for k in self.subject_kinds]
