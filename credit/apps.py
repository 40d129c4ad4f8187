from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "credit"
    verbose_name = "授信"

    def ready(self) -> None:
        # Credit sits right of rating: it joins rating's transactions through rating's hooks,
        # so that imports still point left (docs/design.md §2).
        from credit import receivers

        receivers.connect()
