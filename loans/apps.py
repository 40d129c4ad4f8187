from django.apps import AppConfig


class LoansConfig(AppConfig):
    name = "loans"
    verbose_name = "贷款"

    def ready(self) -> None:
        # Loans sits right of rating and credit: it joins their work through their hooks (a
        # publish step, the lines_changed signal), so imports still point left (design §2).
        from loans import receivers

        receivers.connect()
