from django.apps import AppConfig


class QrlookupConfig(AppConfig):
    name = "qrlookup"
    verbose_name = "扫码查询"
