"""Geography and the bank's organisation: county, townships, branches, grids, villages."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from households.models.fields import count


class County(models.Model):
    name = models.CharField(_("县名"), max_length=50)
    code = models.CharField(
        _("行政区划代码"),
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^\d{6}$", "行政区划代码应为6位数字")],
    )

    class Meta:
        verbose_name = _("县")
        verbose_name_plural = _("县")

    def __str__(self) -> str:
        return self.name


class Township(models.Model):
    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="townships")
    name = models.CharField(_("乡镇/街道"), max_length=50)
    code = models.CharField(_("代码"), max_length=12, unique=True)

    class Meta:
        verbose_name = _("乡镇")
        verbose_name_plural = _("乡镇")
        ordering = ("code",)
        constraints = [
            models.UniqueConstraint(fields=["county", "name"], name="township_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Branch(models.Model):
    """A branch (支行) of the bank; its manager(s) see and approve everything in it."""

    name = models.CharField(_("支行名称"), max_length=50, unique=True)
    code = models.CharField(_("机构号"), max_length=12, unique=True)
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("行长"),
        blank=True,
        related_name="managed_branches",
    )

    class Meta:
        verbose_name = _("支行")
        verbose_name_plural = _("支行")
        ordering = ("code",)

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    """A financial-service grid (金融服务网格): one or more villages and their loan officer(s)."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="grids")
    name = models.CharField(_("网格名称"), max_length=50)
    code = models.CharField(_("网格编号"), max_length=16, unique=True)
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        blank=True,
        related_name="grids",
    )

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ("code",)

    def __str__(self) -> str:
        return self.name


class Village(models.Model):
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="villages")
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("所属网格"),
        on_delete=models.PROTECT,
        related_name="villages",
        null=True,
        blank=True,
    )
    name = models.CharField(_("村/社区"), max_length=50)
    code = models.CharField(_("代码"), max_length=16, unique=True)
    registered_households = count(_("户籍户数"))

    class Meta:
        verbose_name = _("村/社区")
        verbose_name_plural = _("村/社区")
        ordering = ("code",)
        constraints = [
            models.UniqueConstraint(fields=["township", "name"], name="village_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class VillageGroup(models.Model):
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="groups")
    name = models.CharField(_("村民小组"), max_length=50)

    class Meta:
        verbose_name = _("村民小组")
        verbose_name_plural = _("村民小组")
        ordering = ("village", "name")
        constraints = [
            models.UniqueConstraint(fields=["village", "name"], name="village_group_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.village.name}{self.name}"
