from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "motcua.analytics"
    verbose_name = _("Trung tâm điều hành và chỉ số phục vụ")
