from django.apps import AppConfig
from django.db.models.signals import post_migrate


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = "农户建档"

    def ready(self) -> None:
        from households import grade_rows

        post_migrate.connect(grade_rows.install_sqlite_triggers, sender=self)
