from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Imported for its effect: registers the system check of the Oswestry text file.
from intake import checks  # noqa: F401


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("Intake")
