from django.contrib import admin

from clinics.models import Campus, CatchmentPostcode
from referrals.models import CampusCapacityChange, Referral, ReferralEvent, ReferralLetter
from referrals.services import log_capacity_change


class ReferralEventInline(admin.TabularInline):
    model = ReferralEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "from_state", "to_state", "from_campus", "to_campus", "by", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ReferralLetterInline(admin.TabularInline):
    model = ReferralLetter
    extra = 0
    can_delete = False
    fields = ("version", "language", "campus", "created_at", "created_by")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).defer("pdf")


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    """Read-only: every change goes through the lifecycle services (and leaves an event)."""

    list_display = ("id", "episode", "state", "campus", "source", "created_at", "sent_at")
    list_filter = ("state", "campus", "source")
    list_select_related = ("episode__patient", "campus")
    inlines = [ReferralEventInline, ReferralLetterInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


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


@admin.register(Campus)
class CampusAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "phone", "weekly_capacity", "accepting_referrals")
    list_editable = ("weekly_capacity", "accepting_referrals")
    inlines = [CatchmentInline]

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
