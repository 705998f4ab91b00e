from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "motcua.identity"
    verbose_name = "Định danh điện tử và dữ liệu dân cư"
