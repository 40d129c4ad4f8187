from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fuxiang.accounts"
    label = "accounts"
    verbose_name = "用户与角色"

    def ready(self) -> None:
        from fuxiang.accounts import receivers  # noqa: F401  (API tokens, session clocks)
