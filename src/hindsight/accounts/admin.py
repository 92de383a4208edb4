from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from hindsight.accounts.models import ApiToken, User
from hindsight.accounts.signals import user_renamed
from hindsight.lib.writers import write_transaction


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets[:1],
        ("Profile", {"fields": ("first_name", "last_name", "email", "role", "is_active")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"fields": ("username", "email", "role", "password1", "password2")}),)

    def save_model(self, request, obj, form, change):
        with write_transaction():
            super().save_model(request, obj, form, change)
            if change and "username" in form.changed_data:
                user_renamed.send(sender=User, user=obj)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "label", "hint", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("digest", "hint", "created_at", "last_used_at")
    list_select_related = ("user",)
