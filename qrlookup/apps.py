from django.apps import AppConfig


class QrlookupConfig(AppConfig):
    name = "qrlookup"
    verbose_name = "扫码查询"

    def ready(self) -> None:
        from qrlookup import receivers

        receivers.connect()
