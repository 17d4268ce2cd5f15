"""Campuses, catchments and capacity. Referrals are not in the admin: they are patient
data, which the admin role does not see (docs/security.md, "The admin and patient data")."""

from django.contrib import admin

from clinics.models import Campus, CatchmentPostcode
from referrals.models import AppointmentSlot, CampusCapacityChange
from referrals.services import log_capacity_change


@admin.register(CampusCapacityChange)
class CampusCapacityChangeAdmin(admin.ModelAdmin):
    list_display = (
        "changed_at",
        "campus",
        "changed_by",
        "old_weekly_capacity",
        "new_weekly_capacity",
        "old_accepting",
        "new_accepting",
    )
    list_filter = ("campus",)
    list_select_related = ("campus", "changed_by")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


# Campuses are edited here: their capacity is the referral queue's business.
class CatchmentInline(admin.TabularInline):
    model = CatchmentPostcode
    extra = 1


class AppointmentSlotInline(admin.TabularInline):
    """The campus's weekly slot template; coordinators see it as a week view to book from."""

    model = AppointmentSlot
    extra = 1


@admin.register(AppointmentSlot)
class AppointmentSlotAdmin(admin.ModelAdmin):
    list_display = ("campus", "weekday", "start", "minutes")
    list_filter = ("campus", "weekday")
    list_select_related = ("campus",)


@admin.register(Campus)
class CampusAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "phone", "weekly_capacity", "accepting_referrals")
    list_editable = ("weekly_capacity", "accepting_referrals")
    inlines = [CatchmentInline, AppointmentSlotInline]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        # Capacity changes are logged with who/when/old/new, from here as from the
        # managers' capacity page.
        old = (
            Campus.objects.filter(pk=obj.pk)
            .values_list("weekly_capacity", "accepting_referrals")
            .first()
        )
        super().save_model(request, obj, form, change)
        if old is not None:
            log_capacity_change(
                obj, old_weekly_capacity=old[0], old_accepting=old[1], by=request.user
            )
