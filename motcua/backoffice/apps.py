from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "motcua.backoffice"
    verbose_name = "Một cửa điện tử (cán bộ)"
