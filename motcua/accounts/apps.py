from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "motcua.accounts"
    verbose_name = "Tài khoản và vai trò"
