from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OFFICER = "officer", _("客户经理")
    BRANCH_MANAGER = "branch_manager", _("支行行长")
    HEAD_OFFICE = "head_office", _("总行管理员")
    AUDITOR = "auditor", _("审计员")


class User(AbstractUser):
    """A member of bank staff. What they may see is decided by ``role`` plus assignments:
    an officer's grids (``households.Grid.officers``), a manager's branches
    (``households.Branch.managers``)."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.OFFICER)
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    employee_no = models.CharField(_("工号"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("员工")
        verbose_name_plural = _("员工")

    def __str__(self) -> str:
        return f"{self.full_name or self.username}（{self.get_role_display()}）"

    @property
    def display_name(self) -> str:
        return self.full_name or self.username
