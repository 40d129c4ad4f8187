from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "fuxiang.audit"
    label = "audit"
    verbose_name = "审计日志"

    def ready(self) -> None:
        from fuxiang.audit import receivers  # noqa: F401  (connects login signals)
