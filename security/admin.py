"""Admin views of the audit trail: read-only, nobody may change or delete a row.

The admin role offers no patient data (docs/security.md, "The admin and patient data"):
the read log and the erasure register hold ids, roles and dates only and stay here;
auditlog's change log holds the old and new values of patient fields, so it is taken
out of the admin (managers browse it, field names only, under "Privacy and audit").
"""

from typing import Any

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


if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)
