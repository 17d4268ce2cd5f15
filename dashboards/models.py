"""The manager's figures, counted ahead by the beat task (``dashboards.tasks``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MonthFigures(models.Model):
    """The pathway figures of one month, per campus, as the last count left them.

    ``rows`` maps a campus id (or ``"none"``: outside every catchment) to that campus's
    ``dashboards.figures.Figures`` as plain values. A manager's page adds these up; it
    never counts a million rows while someone waits.
    """

    month = models.DateField(_("month"), unique=True)
    rows = models.JSONField(_("figures per campus"), default=dict)
    counted_at = models.DateTimeField(_("counted at"))

    class Meta:
        verbose_name = _("month's figures")
        verbose_name_plural = _("months' figures")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
