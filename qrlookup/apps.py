from django.apps import AppConfig


class QrlookupConfig(AppConfig):
    name = "qrlookup"
    verbose_name = "扫码查询"

    def ready(self) -> None:
        from fuxiang.monitoring import register_collector
        from loans.notices import sms_sender_register
        from qrlookup import metrics, receivers, sms

        receivers.connect()
        sms_sender_register(sms.send_notice)  # loans' notices go out through this SMS module
        register_collector(metrics.collect)
