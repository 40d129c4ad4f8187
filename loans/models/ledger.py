"""The loan ledger: applications, contracts, loans (借据) with their instalments, drawdowns,
repayments — and the two rows that keep money from moving twice: the credit exposure of each
borrower (locked by every service that moves money) and the idempotency records.

Status fields move only along ``loans.engine.states`` (services call ``transition``; on
PostgreSQL a trigger refuses any other move); the check constraints keep each state's fields
consistent.

This module holds what the ledger's tables share (the borrower's two columns, the channels, the
money field), the credit exposure and the idempotency records; the tables themselves are in
``applications``, ``contracts``, ``loan_accounts`` (loans, instalments, drawdowns) and
``repayments``.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from loans.engine import states

ONE_SUBJECT = (Q(household__isnull=False) & Q(business_entity__isnull=True)) | (
    Q(household__isnull=True) & Q(business_entity__isnull=False)
)


def state_choices(machine: str) -> list[tuple[str, Any]]:
    return [(k, _(v)) for k, v in states.LABELS[machine].items()]


def money_field(label: Any, **kwargs: Any) -> models.DecimalField:
    return models.DecimalField(label, max_digits=14, decimal_places=2, **kwargs)


def subject_fields(related: str) -> tuple[models.ForeignKey, models.ForeignKey]:
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
    in_use = money_field(_("占用额度（元）"), default=0)
    outstanding = money_field(_("贷款余额（元）"), default=0)
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
