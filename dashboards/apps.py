from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = "统计看板"

    def ready(self) -> None:
        # The rightmost app: it listens to the apps on its left through their hooks (a rating
        # publish, loan events) and queues a refresh of its summaries; nothing imports it.
        from dashboards import receivers

        receivers.connect()
