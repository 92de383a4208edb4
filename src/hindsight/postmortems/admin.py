"""The Django admin for what admins keep by hand: the contributing-factor categories."""

from django.contrib import admin

from hindsight.postmortems.models import FactorCategory


@admin.register(FactorCategory)
class FactorCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "retired", "position")
    list_editable = ("retired", "position")
    list_filter = ("retired",)
    search_fields = ("name", "slug")

    def get_readonly_fields(self, request, obj=None):
        # The slug is what reports store: it never changes once made (rename by name).
        return ("slug",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False  # retire instead: old reports keep their category
