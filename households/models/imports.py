"""Archive imports and exports: one uploaded file per ``ImportJob`` and what became of it;
one requested export per ``ExportJob``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from households.models.fields import count


class ImportKind(models.TextChoices):
    HOUSEHOLDS = "households", _("农户及家庭成员")
    ENTERPRISES = "enterprises", _("小微企业/个体工商户")
    ENTITIES = "entities", _("新型农业经营主体")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ImportJob(models.Model):
    """One uploaded archive file and what became of it. Large files are imported by a Celery
    worker; ``processed_rows`` drives the progress bar; ``attempts`` counts the runs that
    claimed it, so a file that kills its worker is failed after a few, not retried forever."""

    kind = models.CharField(_("导入类型"), max_length=12, choices=ImportKind.choices)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200)
    dry_run = models.BooleanField(_("仅校验不导入"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs"
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = count(_("总行数"))
    processed_rows = count(_("已处理行数"))
    created_count = count(_("新建"))
    updated_count = count(_("更新"))
    unchanged_count = count(_("无变化"))
    rejected_count = count(_("拒绝行数"))
    attempts = models.PositiveSmallIntegerField(_("运行次数"), default=0)
    error = models.TextField(_("错误"), blank=True)
    rejected = models.JSONField(_("被拒绝的行（前500条）"), default=list, blank=True)
    report = models.FileField(_("错误报告"), upload_to="imports/reports/%Y/%m/", blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.processed_rows * 100 // self.total_rows)


class ExportJob(models.Model):
    """One requested export of the archive list, written by a Celery worker (a township's
    list takes longer than a web request should). The file is for the requester only."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="export_jobs"
    )
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    unmasked = models.BooleanField(_("完整信息（未脱敏）"), default=False)
    status = models.CharField(
        _("状态"), max_length=8, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_households = count(_("农户数"))
    processed_households = count(_("已写入农户数"))
    rows = count(_("行数"))
    file = models.FileField(_("文件"), upload_to="exports/%Y/%m/", blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"导出 {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total_households:
            return 0
        return min(99, self.processed_households * 100 // self.total_households)
