"""The whitelist (白名单) of each product: a versioned, expiring snapshot of the credit lines
eligible for it, kept as temporal rows.

An entry is valid from version ``valid_from`` of its product's whitelist up to, not including,
version ``valid_to`` (``NULL``: still in). A new version after a one-village re-rating writes
only the rows that changed; the snapshot at version *v* is ``valid_from ≤ v < valid_to``, and
the delta between two versions is a range query on either column (both indexed).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loans.models.products import LoanProduct


class WhitelistVersion(models.Model):
    product = models.ForeignKey(
        LoanProduct, on_delete=models.PROTECT, related_name="whitelist_versions"
    )
    number = models.PositiveIntegerField(_("版本号"))
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("失效时间"))
    reason = models.CharField(_("生成原因"), max_length=200)
    total = models.PositiveIntegerField(_("名单户数"), default=0)
    added = models.PositiveIntegerField(_("新增"), default=0)
    changed = models.PositiveIntegerField(_("变更"), default=0)
    removed = models.PositiveIntegerField(_("移除"), default=0)
    seconds = models.FloatField(_("用时（秒）"), default=0)

    class Meta:
        verbose_name = _("白名单版本")
        verbose_name_plural = _("白名单版本")
        ordering = ("product", "-number")
        constraints = [
            models.UniqueConstraint(fields=["product", "number"], name="whitelist_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} 白名单 v{self.number}"


class WhitelistEntry(models.Model):
    """A subject on a product's whitelist with the line's figures, for a range of versions.
    Written only by the set-based build (``loans.whitelists``), so its subject columns carry no
    foreign-key checks (like the credit lines they are copied from)."""

    product = models.ForeignKey(
        LoanProduct, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.DO_NOTHING,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
    )
    business_entity = models.ForeignKey(
        "households.BusinessEntity",
        on_delete=models.DO_NOTHING,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
    )
    village_id = models.IntegerField(_("村"))
    grade = models.CharField(_("授信等级"), max_length=8)
    amount = models.DecimalField(_("授信额度（元）"), max_digits=14, decimal_places=2)
    rate_bp = models.IntegerField(_("年利率（基点）"))
    line_valid_to = models.DateField(_("授信到期日"))
    valid_from = models.PositiveIntegerField(_("自版本"))
    valid_to = models.PositiveIntegerField(_("至版本（不含）"), null=True, blank=True)

    class Meta:
        verbose_name = _("白名单条目")
        verbose_name_plural = _("白名单条目")
        indexes = [
            models.Index(fields=["product", "valid_from"], name="whitelist_entry_from"),
            models.Index(
                fields=["product", "valid_to"],
                condition=Q(valid_to__isnull=False),
                name="whitelist_entry_to",
            ),
            models.Index(
                fields=["product", "village_id"],
                condition=Q(valid_to__isnull=True),
                name="whitelist_entry_open_village",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "household"],
                condition=Q(valid_to__isnull=True, household__isnull=False),
                name="whitelist_one_open_per_household",
            ),
            models.UniqueConstraint(
                fields=["product", "business_entity"],
                condition=Q(valid_to__isnull=True, business_entity__isnull=False),
                name="whitelist_one_open_per_entity",
            ),
            models.CheckConstraint(
                condition=(Q(household__isnull=False) & Q(business_entity__isnull=True))
                | (Q(household__isnull=True) & Q(business_entity__isnull=False)),
                name="whitelist_entry_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="whitelist_entry_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grade} {self.amount}元 v{self.valid_from}–{self.valid_to or ''}"
