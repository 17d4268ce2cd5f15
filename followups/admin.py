from django.contrib import admin

from followups.models import FollowUp


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    """Read-mostly: follow-ups move through the sweep, the questionnaire and the call list."""

    list_display = ("episode", "number", "state", "due_at", "outcome", "answered_at")
    list_filter = ("state", "outcome", "number", "call_reason")
    date_hierarchy = "due_at"
    list_select_related = ("episode__patient",)
    raw_id_fields = ("episode", "closed_by", "answered_by")
    readonly_fields = [field.name for field in FollowUp._meta.fields if field.name != "id"]
