from django.apps import AppConfig


class QrlookupConfig(AppConfig):
    name = "qrlookup"
    verbose_name = "扫码查询"

    def ready(self) -> None:
        from loans.notices import sms_sender_register
        from qrlookup import receivers, sms

        receivers.connect()
        sms_sender_register(sms.send_notice)  # loans' notices go out through this SMS module
