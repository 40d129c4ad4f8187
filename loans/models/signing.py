"""The borrower's signing code (签约验证码): six digits sent by SMS to the applicant's phone on
file, naming the contract's amount, term and rate; typed by the borrower on their phone, or
read out to the officer at the branch. Stored only as a keyed hash; five tries; single use;
the contract records the code's id, so a code signs one contract at most."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loans.models.applications import LoanApplication
from loans.models.ledger import Channel


class SigningCode(models.Model):
    id = models.CharField(primary_key=True, max_length=32)
    application = models.ForeignKey(
        LoanApplication, on_delete=models.CASCADE, related_name="signing_codes"
    )
    member = models.ForeignKey(
        "households.Member", verbose_name=_("借款人"), on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    code_hash = models.CharField(_("验证码摘要"), max_length=64)
    created_at = models.DateTimeField(_("发送时间"))
    expires_at = models.DateTimeField(_("失效时间"))
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("签约验证码")
        verbose_name_plural = _("签约验证码")
        indexes = [models.Index(fields=["application", "created_at"], name="signing_code_sent")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="signing_code_expiry"
            )
        ]

    def __str__(self) -> str:
        return f"签约验证码（申请#{self.application_id}）"
