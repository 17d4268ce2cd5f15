from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = _("Security and audit")

    def ready(self) -> None:
        from security import audit, twofactor

        audit.guard_change_log()
        twofactor.connect_signals()
