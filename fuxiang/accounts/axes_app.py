"""django-axes under a Chinese name in the admin (the section head office uses to see and
clear login lockouts); its strings are translated in ``locale/zh_Hans``."""

from __future__ import annotations

from axes.apps import AppConfig as AxesAppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = "登录锁定"
