from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

postcode_validator = RegexValidator(r"^[1-9][0-9]{3}$", _("A Belgian postcode has four digits."))


class Role(models.TextChoices):
    """Staff roles. Each is a Django auth group of the same name."""

    RECEPTION = "reception", _("Reception")
    PHYSIOTHERAPIST = "physiotherapist", _("Physiotherapist")
    COORDINATOR = "coordinator", _("Pain-clinic coordinator")
    MANAGER = "manager", _("Clinic manager")
    ADMIN = "admin", _("Administrator")


class ClinicQuerySet(models.QuerySet["Clinic"]):
    def current(self) -> "Clinic":
        """The clinic that signs the mails and answers the phone (an unsaved default
        before an admin has entered one)."""
        return self.order_by("pk").first() or Clinic(name="Backpath")


class Clinic(models.Model):
    name = models.CharField(_("name"), max_length=120)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    objects = ClinicQuerySet.as_manager()

    class Meta:
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")

    def __str__(self) -> str:
        return self.name


class PracticeQuerySet(models.QuerySet["Practice"]):
    def default(self) -> "Practice | None":
        """The practice of a patient registered without one: the first an admin entered."""
        return self.order_by("pk").first()


class Practice(models.Model):
    """A physiotherapy practice of the network: the name and phone number a patient on
    the physiotherapy pathway sees on their questionnaires. Edited by admins."""

    name = models.CharField(_("name"), max_length=120)
    phone = models.CharField(_("phone"), max_length=40)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    objects = PracticeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("physiotherapy practice")
        verbose_name_plural = _("physiotherapy practices")

    def __str__(self) -> str:
        return self.name


class CampusQuerySet(models.QuerySet["Campus"]):
    def accepting(self) -> "CampusQuerySet":
        return self.filter(accepting_referrals=True)


class Campus(models.Model):
    """A pain-clinic campus. Capacity and 'accepting' are edited by admins/managers."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="campuses")
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=80)
    phone = models.CharField(_("phone"), max_length=40)
    address = models.CharField(_("address"), max_length=200, blank=True)
    weekly_capacity = models.PositiveIntegerField(_("weekly referral capacity"), default=10)
    accepting_referrals = models.BooleanField(_("accepting referrals"), default=True)

    objects = CampusQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("campus")
        verbose_name_plural = _("campuses")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """ "Pijnkliniek Rumst": the clinic and the campus, as a patient knows them."""
        return f"{self.clinic.name} {self.name}"


class CatchmentPostcode(models.Model):
    """A postcode served by one campus. A postcode belongs to at most one catchment."""

    campus = models.ForeignKey(Campus, on_delete=models.CASCADE, related_name="catchment")
    postcode = models.CharField(
        _("postcode"), max_length=4, unique=True, validators=[postcode_validator]
    )

    class Meta:
        ordering = ["postcode"]
        verbose_name = _("catchment postcode")
        verbose_name_plural = _("catchment postcodes")

    def __str__(self) -> str:
        return f"{self.postcode} → {self.campus}"


class StaffProfile(models.Model):
    """What the auth user does not hold: the campus a coordinator works for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    campus = models.ForeignKey(
        Campus,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        help_text=_("The campus a pain-clinic coordinator works for."),
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return str(self.user)


class WorkerHeartbeat(models.Model):
    """One row, touched by a beat task every minute: proof the worker and beat run."""

    name = models.CharField(max_length=40, unique=True)
    last_seen = models.DateTimeField(default=timezone.now)
    beats = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"
