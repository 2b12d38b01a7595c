"""Editions are managed on the portal's own pages (/assessments/); the admin only lists them."""

from django.contrib import admin

from .models import Edition, Recommendation


class RecommendationInline(admin.TabularInline):
    model = Recommendation
    extra = 0
    fields = ("chapter", "text", "status", "note", "carried_from")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    list_display = ("title", "edition_label", "audience", "area_level", "authority", "status")
    list_filter = ("status", "audience", "area_level")
    search_fields = ("title", "edition_label", "fingerprint")
    inlines = [RecommendationInline]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Changes go through the portal's pages and services (audit, immutability).
        return [f.name for f in Edition._meta.get_fields() if f.concrete and not f.auto_created] + [
            "datasets",
            "shared_with",
        ]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
