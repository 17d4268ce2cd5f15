from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from treatment.models import Exercise


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    """The exercise library: admins add exercises and edit their texts per language."""

    list_display = ("name_nl", "name_en", "kind", "position", "active", "from_leaflet")
    list_editable = ("position", "active")
    list_filter = ("kind", "active", "from_leaflet")
    readonly_fields = ("from_leaflet",)
    search_fields = ("code", "name_nl", "name_fr", "name_en")
    prepopulated_fields = {"code": ("name_en",)}
    fieldsets = (
        (None, {"fields": ("code", "kind", "position", "active", "from_leaflet")}),
        (_("Dutch"), {"fields": ("name_nl", "instructions_nl", "dosage_nl")}),
        (_("French"), {"fields": ("name_fr", "instructions_fr", "dosage_fr")}),
        (_("English"), {"fields": ("name_en", "instructions_en", "dosage_en")}),
    )
