"""QR lookup (码上查): QR codes and posters, the villagers' verification, scan and lookup events,
requests to officers, and the daily statistics (docs/qrlookup.md).

Event tables are append-only and bulk-friendly: no foreign-key checks, few indexes, one INSERT
per event (a county records about 730,000 lookups a year)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fuxiang.fields import staff_ref
from households.models import count


class QrCodeKind(models.TextChoices):
    VILLAGE = "village", _("村级二维码")
    OFFICER = "officer", _("客户经理二维码")


class QrCode(models.Model):
    """A QR code printed on a poster or shared in a village WeChat group. It points to
    ``/q/<token>``; the token is random (unguessable, 22 characters), so a code cannot be forged
    and revoking it (``revoked_at``) retires the URL. Every scan is attributed to the code's
    village, grid and officer, whoever scans it."""

    token = models.CharField(_("令牌"), max_length=32, unique=True, editable=False)
    kind = models.CharField(_("类型"), max_length=8, choices=QrCodeKind.choices)
    village = models.ForeignKey(
        "households.Village",
        verbose_name=_("村/社区"),
        on_delete=models.PROTECT,
        related_name="qr_codes",
        null=True,
        blank=True,
    )
    grid = models.ForeignKey(
        "households.Grid", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        on_delete=models.PROTECT,
        related_name="qr_codes",
        null=True,
        blank=True,
    )
    created_by = staff_ref(_("生成人"))
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    revoked_by = staff_ref(_("作废人"))

    class Meta:
        verbose_name = _("查询二维码")
        verbose_name_plural = _("查询二维码")
        ordering = ("grid", "village", "-created_at")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="village") & Q(village__isnull=False))
                | (Q(kind="officer") & Q(officer__isnull=False)),
                name="qrcode_says_whose",
                violation_error_message="村级二维码须指定村，客户经理二维码须指定客户经理",
            ),
            models.UniqueConstraint(
                fields=["village"],
                condition=Q(kind="village", revoked_at__isnull=True),
                name="qrcode_one_live_per_village",
                violation_error_message="该村已有有效的二维码，请先作废旧码",
            ),
            models.UniqueConstraint(
                fields=["grid", "officer"],
                condition=Q(kind="officer", revoked_at__isnull=True),
                name="qrcode_one_live_per_officer_grid",
                violation_error_message="该客户经理在该网格已有有效的二维码，请先作废旧码",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.village or self.grid}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


class OfficerContact(models.Model):
    """The work phone an officer gives villagers (on posters and the result page)."""

    officer = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        on_delete=models.CASCADE,
        related_name="qrlookup_contact",
    )
    phone = models.CharField(
        _("服务电话"),
        max_length=20,
        validators=[
            RegexValidator(
                r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$",
                "服务电话应为11位手机号码或带区号的固定电话",
            )
        ],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("客户经理服务电话")
        verbose_name_plural = _("客户经理服务电话")

    def __str__(self) -> str:
        return self.phone


# --- events -----------------------------------------------------------------------------------


class UaClass(models.TextChoices):
    WECHAT = "wechat", _("微信")
    MOBILE = "mobile", _("手机浏览器")
    DESKTOP = "desktop", _("电脑")
    OTHER = "other", _("其他")


def _no_check_fk(to: str, **kwargs: object) -> models.ForeignKey:
    """An attribution column of an event table: indexed where reads need it, never checked
    (an event outlives nothing and is written in bulk)."""
    options: dict[str, object] = {
        "on_delete": models.DO_NOTHING,
        "related_name": "+",
        "null": True,
        "blank": True,
        "db_constraint": False,
        "db_index": False,
    }
    options.update(kwargs)
    return models.ForeignKey(to, **options)  # type: ignore[arg-type]


class ScanEvent(models.Model):
    """One scan of a QR code (人次): the landing page was opened."""

    at = models.DateTimeField(_("时间"), db_index=True)
    code = _no_check_fk("qrlookup.QrCode")
    village = _no_check_fk("households.Village")
    grid = _no_check_fk("households.Grid")
    officer = _no_check_fk(settings.AUTH_USER_MODEL)
    ua_class = models.CharField(_("终端"), max_length=8, choices=UaClass.choices)

    class Meta:
        verbose_name = _("扫码记录")
        verbose_name_plural = _("扫码记录")

    def __str__(self) -> str:
        return f"扫码 {self.at:%Y-%m-%d %H:%M}"


class LookupEventKind(models.TextChoices):
    IDENTITY = "identity", _("提交身份信息")
    CODE_FAILED = "code_failed", _("验证码错误")
    VERIFIED = "verified", _("验证通过")
    WECHAT = "wechat", _("微信免验证")
    RESULT = "result", _("查看结果")
    REQUEST = "request", _("提交申请")
    LIMITED = "limited", _("触发频率限制")
    LOCKED = "locked", _("已锁定")


class LookupEvent(models.Model):
    """One step of the public flow after the landing page: an identity submitted, a code that
    failed, a verification, a result viewed, a request made, a limit that refused. Never an ID
    or phone number: ``household`` is set only once a person is verified."""

    at = models.DateTimeField(_("时间"), db_index=True)
    kind = models.CharField(_("事件"), max_length=12, choices=LookupEventKind.choices)
    code = _no_check_fk("qrlookup.QrCode")
    village = _no_check_fk("households.Village")
    grid = _no_check_fk("households.Grid")
    officer = _no_check_fk(settings.AUTH_USER_MODEL)
    household = _no_check_fk("households.Household")
    ua_class = models.CharField(_("终端"), max_length=8, choices=UaClass.choices)

    class Meta:
        verbose_name = _("查询记录")
        verbose_name_plural = _("查询记录")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class LookupDailyStat(models.Model):
    """Scans (人次), verified lookups and requests per day and per code attribution (village,
    grid, officer), rolled up nightly from the events; today's figures are read live."""

    day = models.DateField(_("日期"))
    village = _no_check_fk("households.Village")
    grid = _no_check_fk("households.Grid")
    officer = _no_check_fk(settings.AUTH_USER_MODEL)
    scans = count(_("扫码人次"))
    verified = count(_("验证通过"))
    results = count(_("查看结果"))
    requests = count(_("提交申请"))

    class Meta:
        verbose_name = _("扫码查询日统计")
        verbose_name_plural = _("扫码查询日统计")
        indexes = [models.Index(fields=["day"], name="qrl_daily_stat_day")]

    def __str__(self) -> str:
        return f"{self.day} 扫码{self.scans} 验证{self.verified}"


# --- verification -----------------------------------------------------------------------------


class SmsStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    NOT_SENT = "not_sent", _("未发送")
    LIMITED = "limited", _("频率限制")
    FAILED = "failed", _("发送失败")


class VerificationChallenge(models.Model):
    """One submitted name + ID number waiting for its SMS code. Made for every submission —
    a match or not — so the two cannot be told apart; only a matched member with a phone on
    file is ever sent a code. The code is stored as a keyed hash; the challenge's id lives only
    in the submitter's session, which binds the code to it."""

    id = models.CharField(primary_key=True, max_length=32, editable=False)
    code = _no_check_fk("qrlookup.QrCode")
    member = _no_check_fk("households.Member")
    household = _no_check_fk("households.Household")
    id_index = models.CharField(_("身份证号码索引"), max_length=64)
    code_hash = models.CharField(max_length=64, blank=True)
    sms_status = models.CharField(
        _("短信"), max_length=8, choices=SmsStatus.choices, default=SmsStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("验证次数"), default=0)
    created_at = models.DateTimeField(_("提交时间"), db_index=True)
    expires_at = models.DateTimeField(_("过期时间"))
    verified_at = models.DateTimeField(_("验证时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("身份验证")
        verbose_name_plural = _("身份验证")

    def __str__(self) -> str:
        return f"验证 {self.created_at:%Y-%m-%d %H:%M}"


class SmsOutboxMessage(models.Model):
    """A message of the outbox SMS backend (development, demo, tests): what would have been
    sent. The number is kept only masked and as its blind index."""

    phone_index = models.CharField(max_length=64, db_index=True)
    phone_masked = models.CharField(_("手机号码"), max_length=11)
    text = models.CharField(_("内容"), max_length=300)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("短信发件箱")
        verbose_name_plural = _("短信发件箱")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.phone_masked} {self.created_at:%H:%M:%S}"


class WechatBinding(models.Model):
    """A verified person's WeChat openid (stored only as a keyed hash): the next scan from the
    same WeChat account skips the SMS until ``expires_at`` or until it is removed."""

    openid_index = models.CharField(max_length=64, unique=True)
    member = models.ForeignKey(
        "households.Member", on_delete=models.CASCADE, related_name="wechat_bindings"
    )
    created_at = models.DateTimeField(_("绑定时间"))
    expires_at = models.DateTimeField(_("到期时间"))

    class Meta:
        verbose_name = _("微信绑定")
        verbose_name_plural = _("微信绑定")

    def __str__(self) -> str:
        return f"微信绑定 {self.created_at:%Y-%m-%d}"


# --- requests to officers ---------------------------------------------------------------------


class RequestKind(models.TextChoices):
    ARCHIVE = "archive", _("申请建档")
    RATING = "rating", _("申请评级")
    RERATING = "rerating", _("申请重新评级")
    CORRECTION = "correction", _("信息有误")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    DONE = "done", _("已办结")


class RequestOutcome(models.TextChoices):
    ARCHIVE_UPDATED = "archive_updated", _("档案已更新")
    RERATED = "rerated", _("已重新评级")
    CONTACTED = "contacted", _("已联系本人")
    NOT_POSSIBLE = "not_possible", _("暂无法办理，请联系客户经理")


class OfficerRequest(models.Model):
    """A villager's request to the officer of their grid (补办建档, 评级, 重评, 信息有误), with a
    deadline. Closed by the officer with an outcome, or by itself when the household's archive
    is edited (corrections) or a later rating is published (ratings)."""

    kind = models.CharField(_("申请类型"), max_length=12, choices=RequestKind.choices)
    household = models.ForeignKey(
        "households.Household",
        verbose_name=_("农户"),
        on_delete=models.PROTECT,
        related_name="qrlookup_requests",
        null=True,
        blank=True,
    )
    grid = models.ForeignKey(
        "households.Grid", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="+"
    )
    village = models.ForeignKey(
        "households.Village",
        verbose_name=_("村/社区"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    code = models.ForeignKey(
        QrCode, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # who asks, for requests of people not (yet) verified: name and a number to call back
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone_encrypted = models.TextField(blank=True, editable=False)
    contact_phone_masked = models.CharField(_("联系电话"), max_length=11, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=8, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    outcome = models.CharField(
        _("处理结果"), max_length=16, choices=RequestOutcome.choices, blank=True
    )
    outcome_note = models.CharField(_("处理说明（仅内部可见）"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("提交时间"))
    due_at = models.DateTimeField(_("办理期限"))
    overdue_flagged_at = models.DateTimeField(_("逾期提示时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = staff_ref(_("办理人"))

    class Meta:
        verbose_name = _("村民申请")
        verbose_name_plural = _("村民申请")
        ordering = ("due_at", "id")
        indexes = [
            models.Index(
                fields=["grid", "due_at"], condition=Q(status="open"), name="qrl_request_open"
            ),
            models.Index(fields=["household", "created_at"], name="qrl_request_household"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(household__isnull=False) | Q(kind="archive"),
                name="qrl_request_household_unless_archive",
            ),
            models.CheckConstraint(
                condition=(Q(status="open") & Q(outcome="") & Q(closed_at__isnull=True))
                | (Q(status="done") & ~Q(outcome="") & Q(closed_at__isnull=False)),
                name="qrl_request_closed_has_outcome",
                violation_error_message="办结的申请须有处理结果",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{self.get_status_display()}）"


# --- poster batches ---------------------------------------------------------------------------


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class PosterBatch(models.Model):
    """All posters of a township in one ZIP, built by a Celery worker with progress."""

    township = models.ForeignKey(
        "households.Township", verbose_name=_("乡镇"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    base_url = models.CharField(max_length=200)
    status = models.CharField(
        _("状态"), max_length=8, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    total = count(_("海报数"))
    done = count(_("已生成"))
    file = models.FileField(_("文件"), upload_to="posters/%Y/%m/", blank=True)
    error = models.CharField(_("错误"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("海报批量生成")
        verbose_name_plural = _("海报批量生成")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"海报 {self.township_id} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if self.status == BatchStatus.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, self.done * 100 // self.total)
