from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = _("Patient records")

    def ready(self) -> None:
        from records import changelog

        changelog.register_change_logging()
