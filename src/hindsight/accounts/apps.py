from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hindsight.accounts"
    label = "accounts"
    verbose_name = "Accounts"
