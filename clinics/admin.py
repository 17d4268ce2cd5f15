from django.contrib import admin

from clinics.models import Campus, CatchmentPostcode, Clinic, StaffProfile, WorkerHeartbeat


class CatchmentInline(admin.TabularInline):
    model = CatchmentPostcode
    extra = 1


@admin.register(Campus)
class CampusAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "phone", "weekly_capacity", "accepting_referrals")
    list_editable = ("weekly_capacity", "accepting_referrals")
    inlines = [CatchmentInline]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        # Capacity changes are logged with who/when/old/new, from here as from the
        # managers' capacity page (referrals.services.log_capacity_change).
        from referrals.services import log_capacity_change

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


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ("name", "phone", "email")


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "campus")
    list_select_related = ("user", "campus")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "last_seen", "beats")
