"""The online loan platform link (线上贷款平台): registered platforms, every whitelist delivery
to them (pull, push, file) with its attempts, the events they send back (webhook or file),
the balances they report and the daily reconciliation's differences.

Nothing here moves money: inbound events are applied by loans' own services (apply, sign,
draw, repay), so a platform loan is an ordinary row of the ledger with channel ``platform``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fuxiang.fields import staff_ref
from loans.models.applications import LoanApplication
from loans.models.contracts import LoanContract
from loans.models.loan_accounts import Loan
from loans.models.products import LoanProduct


def _money(label: object, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(label, max_digits=14, decimal_places=2, **kwargs)  # type: ignore[arg-type]


class Platform(models.Model):
    """A platform the county delivers whitelists to: its products, its pull token (only the
    SHA-256 is kept), the shared HMAC secret of both directions (encrypted) and its webhook."""

    code = models.SlugField(_("平台代码"), max_length=30, unique=True)
    name = models.CharField(_("平台名称"), max_length=60)
    products = models.ManyToManyField(LoanProduct, verbose_name=_("产品"), related_name="+")
    token_sha256 = models.CharField(_("拉取令牌摘要"), max_length=64, blank=True, db_index=True)
    token_hint = models.CharField(_("令牌尾号"), max_length=8, blank=True)
    secret_encrypted = models.TextField(_("签名密钥（密文）"), editable=False)
    webhook_url = models.URLField(_("推送地址"), max_length=300, blank=True)
    send_plaintext_ids = models.BooleanField(
        _("在签名报文中发送身份证号码"),
        default=True,
        help_text=_(
            "平台批量进件需要身份证号码；仅在签名的推送/拉取报文中传输，文件中只有脱敏号码"
        ),
    )
    timeout_seconds = models.PositiveSmallIntegerField(_("推送超时（秒）"), default=10)
    max_attempts = models.PositiveSmallIntegerField(_("最多推送次数"), default=5)
    retry_base_seconds = models.PositiveIntegerField(_("重试基准间隔（秒）"), default=30)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("线上贷款平台")
        verbose_name_plural = _("线上贷款平台")
        ordering = ("code",)

    def __str__(self) -> str:
        return self.name


class DeliveryKind(models.TextChoices):
    PULL = "pull", _("平台拉取")
    PUSH = "push", _("推送")
    FILE = "file", _("批量文件")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    RETRYING = "retrying", _("重试中")
    DELIVERED = "delivered", _("已送达")
    DEAD = "dead", _("失败待重发")


class Delivery(models.Model):
    """One whitelist snapshot (or the delta since another version) delivered to a platform."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="deliveries")
    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("方式"), max_length=8, choices=DeliveryKind.choices)
    file_format = models.CharField(_("文件格式"), max_length=8, blank=True)
    version = models.PositiveIntegerField(_("白名单版本"))
    since_version = models.PositiveIntegerField(_("增量起始版本"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("条数"), default=0)
    added = models.PositiveIntegerField(_("新增"), default=0)
    changed = models.PositiveIntegerField(_("变更"), default=0)
    removed = models.PositiveIntegerField(_("移除"), default=0)
    checksum = models.CharField(_("SHA-256"), max_length=64, blank=True)
    idempotency_key = models.CharField(_("幂等键"), max_length=64, unique=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("最近响应码"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(_("下次重试"), null=True, blank=True)
    file_path = models.CharField(_("文件"), max_length=300, blank=True)
    manifest = models.JSONField(_("清单"), default=dict, blank=True)
    created_by = staff_ref(_("发起人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("白名单交付")
        verbose_name_plural = _("白名单交付")
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["platform", "status"], name="platform_delivery_status")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False),
                name="platform_delivery_delivered_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform.code} {self.get_kind_display()} v{self.version}"

    @property
    def is_delta(self) -> bool:
        return self.since_version is not None


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField(_("第几次"))
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(_("响应码"), null=True, blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    seconds = models.FloatField(_("用时（秒）"), default=0)
    manual = models.BooleanField(_("人工重发"), default=False)

    class Meta:
        verbose_name = _("交付尝试")
        verbose_name_plural = _("交付尝试")
        ordering = ("delivery", "number")

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error}"


class InboundSource(models.TextChoices):
    WEBHOOK = "webhook", _("签名回调")
    FILE = "file", _("夜间文件")


class InboundStatus(models.TextChoices):
    APPLIED = "applied", _("已入账")
    REFUSED = "refused", _("已拒绝")
    REJECTED = "rejected", _("验签未通过")


class PlatformFileImport(models.Model):
    """A nightly event file from a platform and its row report."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="file_imports")
    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    declared_sha256 = models.CharField(_("清单SHA-256"), max_length=64)
    accepted = models.BooleanField(_("校验通过"), default=False)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    applied = models.PositiveIntegerField(_("入账"), default=0)
    repeated = models.PositiveIntegerField(_("重复"), default=0)
    refused = models.PositiveIntegerField(_("拒绝"), default=0)
    report = models.JSONField(_("逐行结果"), default=list)
    message = models.CharField(_("说明"), max_length=300, blank=True)
    uploaded_by = staff_ref(_("导入人"))
    uploaded_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("平台事件文件")
        verbose_name_plural = _("平台事件文件")
        ordering = ("-uploaded_at", "-id")

    def __str__(self) -> str:
        return self.file_name


class InboundEvent(models.Model):
    """An event the platform sent back, as received: verified or not, applied or refused.
    ``(platform, event_id)`` is unique among verified events, so a replay changes nothing."""

    platform = models.ForeignKey(
        Platform, on_delete=models.PROTECT, related_name="events", null=True, blank=True
    )
    event_id = models.CharField(_("事件编号"), max_length=64, blank=True)
    kind = models.CharField(_("类型"), max_length=20, blank=True)
    source = models.CharField(_("来源"), max_length=8, choices=InboundSource.choices)
    source_file = models.ForeignKey(
        PlatformFileImport, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    body_sha256 = models.CharField(_("报文SHA-256"), max_length=64)
    payload = models.JSONField(_("报文"), default=dict, blank=True)
    status = models.CharField(_("结果"), max_length=10, choices=InboundStatus.choices)
    code = models.CharField(_("原因代码"), max_length=40, blank=True)
    message = models.CharField(_("说明"), max_length=300, blank=True)
    result = models.JSONField(_("处理结果"), default=dict, blank=True)
    remote_addr = models.GenericIPAddressField(_("来源IP"), null=True, blank=True)
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)
    replays = models.PositiveIntegerField(_("重放次数"), default=0)

    class Meta:
        verbose_name = _("平台事件")
        verbose_name_plural = _("平台事件")
        ordering = ("-received_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "event_id"],
                condition=Q(status__in=["applied", "refused"]),
                name="platform_event_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id}"


class PlatformLink(models.Model):
    """The platform's own number for an application or a contract of the ledger."""

    class Kind(models.TextChoices):
        APPLICATION = "application", _("申请")
        CONTRACT = "contract", _("合同")

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    external_no = models.CharField(_("平台编号"), max_length=64)
    application = models.ForeignKey(
        LoanApplication, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    contract = models.ForeignKey(
        LoanContract, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        verbose_name = _("平台编号对照")
        verbose_name_plural = _("平台编号对照")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "kind", "external_no"], name="platform_link_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform_id}:{self.kind}:{self.external_no}"


class PlatformBalance(models.Model):
    """A balance the platform reported for a contract on a day (its statement, kept as sent)."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="balances")
    contract = models.ForeignKey(LoanContract, on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField(_("对账日"))
    principal_outstanding = _money(_("平台本金余额（元）"))
    event = models.ForeignKey(InboundEvent, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("平台余额")
        verbose_name_plural = _("平台余额")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "contract", "as_of"], name="platform_balance_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.as_of} {self.principal_outstanding}"


class ReconciliationRun(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("对账日"))
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    contracts = models.PositiveIntegerField(_("比对合同数"), default=0)
    matched = models.PositiveIntegerField(_("一致"), default=0)
    differences = models.PositiveIntegerField(_("差异"), default=0)
    products = models.JSONField(_("分产品"), default=list)

    class Meta:
        verbose_name = _("对账")
        verbose_name_plural = _("对账")
        ordering = ("-day", "-id")

    def __str__(self) -> str:
        return f"{self.platform_id} {self.day}"


class DifferenceKind(models.TextChoices):
    LOAN = "loan", _("借据余额不一致")
    MISSING_ON_PLATFORM = "missing_platform", _("平台未报送")
    PRODUCT = "product", _("产品合计不一致")


class Difference(models.Model):
    """A difference the reconciliation found. Never fixes the ledger: head office looks into
    it and marks it resolved with a note."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.PROTECT, related_name="items")
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=16, choices=DifferenceKind.choices)
    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(
        LoanContract, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    platform_amount = _money(_("平台金额（元）"), null=True, blank=True)
    ledger_amount = _money(_("本行账面（元）"))
    resolved = models.BooleanField(_("已处理"), default=False)
    resolved_by = staff_ref(_("处理人"))
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    note = models.CharField(_("处理说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("对账差异")
        verbose_name_plural = _("对账差异")
        ordering = ("resolved", "-run__day", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved=False) | (Q(resolved_at__isnull=False) & ~Q(note="")),
                name="platform_difference_resolved_says_how",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.platform_amount} / {self.ledger_amount}"

    @property
    def gap(self) -> object:
        return (self.platform_amount or 0) - self.ledger_amount
