from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = _("E-mail outbox")

    def ready(self) -> None:
        from outbox import services, signals

        signals.email_failed.connect(
            services.forget_links_of_failed_mail, dispatch_uid="outbox-forget-links"
        )
