from django.contrib import admin

from outbox.models import OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "template",
        "recipient",
        "language",
        "state",
        "attempts",
        "sent_at",
    )
    list_filter = ("state", "template", "language")
    search_fields = ("recipient", "idempotency_key")
    date_hierarchy = "created_at"
    raw_id_fields = ("dismissed_by",)
    readonly_fields = (
        "idempotency_key",
        "context",
        "attempts",
        "last_error",
        "sent_at",
        "created_at",
        "patient_id",
        "reference",
    )
