from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinkedConfig(AppConfig):
    name = "motcua.linked"
    verbose_name = _("Liên thông thủ tục hành chính")

    def ready(self) -> None:
        # Registers the internal-agency handlers and the outbox reactions for the chains' message kinds.
        from . import services  # noqa: F401
