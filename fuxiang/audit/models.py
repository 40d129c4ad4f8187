from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LOGIN = "auth.login", _("登录")
    LOGIN_FAILED = "auth.login_failed", _("登录失败")
    LOGOUT = "auth.logout", _("退出")
    API_TOKENS_REVOKE = "auth.tokens_revoke", _("撤销API令牌")
    REVEAL = "pii.reveal", _("查看完整个人信息")
    DUPLICATE_REFUSED = "pii.duplicate_refused", _("身份证号码已在他处建档，拒绝重复录入")
    HOUSEHOLD_CREATE = "household.create", _("新建农户档案")
    HOUSEHOLD_UPDATE = "household.update", _("修改农户档案")
    MEMBER_CREATE = "member.create", _("新增家庭成员")
    MEMBER_UPDATE = "member.update", _("修改家庭成员")
    ENTERPRISE_CREATE = "enterprise.create", _("新建企业档案")
    ENTERPRISE_UPDATE = "enterprise.update", _("修改企业档案")
    ENTITY_CREATE = "agri_entity.create", _("新建新型农业经营主体档案")
    ENTITY_UPDATE = "agri_entity.update", _("修改新型农业经营主体档案")
    VISIT_CREATE = "visit.create", _("登记走访")
    EXPORT = "archive.export", _("导出档案")
    IMPORT = "archive.import", _("导入档案")
    KEY_ROTATION = "crypto.rotate", _("数据密钥轮换")
    WATCHLIST_IMPORT = "watchlist.import", _("导入名单")
    WATCHLIST_RECHECK = "watchlist.recheck", _("名单重新比对")
    SCORECARD_CREATE = "scorecard.create", _("起草评分卡")
    SCORECARD_UPDATE = "scorecard.update", _("修改评分卡草稿")
    SCORECARD_SUBMIT = "scorecard.submit", _("提交评分卡审批")
    SCORECARD_APPROVE = "scorecard.approve", _("批准评分卡")
    SCORECARD_REJECT = "scorecard.reject", _("退回评分卡")
    RATING_RUN_START = "rating.run_start", _("发起评级任务")
    RATING_PUBLISH = "rating.publish", _("发布评级结果")
    RATING_RUN_FAIL = "rating.run_fail", _("评级任务失败或取消")
    RATING_RERATE_REQUEST = "rating.rerate_request", _("申请重新评级")
    CREDIT_POLICY_CREATE = "credit.policy_create", _("起草授信政策")
    CREDIT_POLICY_SUBMIT = "credit.policy_submit", _("提交授信政策审批")
    CREDIT_POLICY_APPROVE = "credit.policy_approve", _("批准授信政策")
    CREDIT_POLICY_REJECT = "credit.policy_reject", _("退回授信政策")
    CREDIT_OVERRIDE_PROPOSE = "credit.override_propose", _("提议人工调整")
    CREDIT_OVERRIDE_APPROVE = "credit.override_approve", _("批准人工调整")
    CREDIT_OVERRIDE_REJECT = "credit.override_reject", _("退回人工调整")
    CREDIT_OVERRIDE_WITHDRAW = "credit.override_withdraw", _("撤回人工调整")
    CREDIT_OVERRIDE_REVIEW = "credit.override_review", _("人工调整转待复核")
    CREDIT_LINE_SUSPEND = "credit.line_suspend", _("冻结授信额度")
    CREDIT_LINE_RESTORE = "credit.line_restore", _("解冻授信额度")
    CREDIT_LINE_REVOKE = "credit.line_revoke", _("撤销授信额度")
    CREDIT_LINES_EXPIRE = "credit.lines_expire", _("授信额度到期")
    CREDIT_SIMULATION = "credit.simulation", _("模拟测算")
    QR_CODE_CREATE = "qrlookup.code_create", _("生成查询二维码")
    QR_CODE_REVOKE = "qrlookup.code_revoke", _("作废查询二维码")
    QR_REQUEST_CLOSE = "qrlookup.request_close", _("办结村民申请")
    LOAN_PRODUCT_CREATE = "loan.product_create", _("起草贷款产品版本")
    LOAN_PRODUCT_SUBMIT = "loan.product_submit", _("提交贷款产品版本审批")
    LOAN_PRODUCT_APPROVE = "loan.product_approve", _("批准贷款产品版本")
    LOAN_PRODUCT_REJECT = "loan.product_reject", _("退回贷款产品版本")
    LOAN_APPLY = "loan.apply", _("贷款申请")
    LOAN_APPLICATION_REVIEW = "loan.application_review", _("审核贷款申请")
    LOAN_APPLICATION_WITHDRAW = "loan.application_withdraw", _("撤回贷款申请")
    LOAN_APPLICATIONS_EXPIRE = "loan.applications_expire", _("贷款申请过期")
    LOAN_SIGN = "loan.sign", _("签订贷款合同")
    LOAN_DRAWDOWN = "loan.drawdown", _("放款")
    LOAN_REPAYMENT = "loan.repayment", _("还款入账")
    LOAN_REPAYMENT_IMPORT = "loan.repayment_import", _("导入还款文件")
    LOAN_OVERDUE = "loan.overdue", _("逾期标记")
    HOUSEHOLD_REPAYMENT_RECORD = "household.repayment_record", _("回写还款记录")
    AUDIT_EXPORT = "audit.export", _("导出审计日志")
    PLATFORM_REGISTER = "platform.register", _("登记线上贷款平台")
    PLATFORM_CREDENTIALS = "platform.credentials", _("重置平台令牌与密钥")
    PLATFORM_DELIVERY = "platform.delivery", _("白名单交付")
    PLATFORM_RESEND = "platform.resend", _("人工重发白名单")
    PLATFORM_REFUSED = "platform.refused", _("拒绝平台请求")
    PLATFORM_EVENT = "platform.event", _("平台事件入账")
    PLATFORM_FILE_IMPORT = "platform.file_import", _("导入平台事件文件")
    PLATFORM_RECONCILE = "platform.reconcile", _("平台对账")
    PLATFORM_RESOLVE = "platform.resolve", _("处理对账差异")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("审计日志只能追加，不能修改")

    def delete(self):
        raise PermissionError("审计日志只能追加，不能删除")


class AuditEvent(models.Model):
    """One thing someone did, kept forever. Append-only: the ORM refuses updates and deletes,
    and on PostgreSQL a trigger refuses them too."""

    occurred_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人名称"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=40, choices=AuditAction.choices)
    target_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    target_label = models.CharField(_("对象"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("来源IP"), null=True, blank=True)
    user_agent = models.CharField(_("终端"), max_length=300, blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ("-occurred_at", "-id")
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["actor", "occurred_at"]),
            models.Index(fields=["action", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("审计日志只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("审计日志只能追加，不能删除")
