"""Admin views of the audit trail: read-only, nobody may change or delete a row."""

from typing import Any

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.http import HttpRequest

from security.models import ErasureRecord, ReadLog


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReadLog)
class ReadLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "username", "roles", "action", "detail", "patient_id", "ip")
    list_filter = ("action",)
    search_fields = ("username",)
    date_hierarchy = "at"


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ReadOnlyAdmin):
    list_display = ("at", "patient_id", "outcome", "keep_until", "username")
    list_filter = ("outcome",)


class AppendOnlyLogEntryAdmin(LogEntryAdmin):
    """auditlog's own admin allows deleting entries along with a deleted object; ours never."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.unregister(LogEntry)
admin.site.register(LogEntry, AppendOnlyLogEntryAdmin)
