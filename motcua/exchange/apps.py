from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "motcua.exchange"
    verbose_name = "Liên thông giữa các cơ quan"
