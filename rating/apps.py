from django.apps import AppConfig


class RatingConfig(AppConfig):
    name = "rating"
    verbose_name = "评级"

    def ready(self) -> None:
        # households announces archive changes; rating listens (households never imports rating)
        from fuxiang.monitoring import register_collector
        from households.signals import archives_changed
        from rating import metrics
        from rating.rerating import archives_changed_receiver

        register_collector(metrics.collect)

        archives_changed.connect(
            archives_changed_receiver, dispatch_uid="rating.rerate_on_archive_change"
        )
