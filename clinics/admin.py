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
