from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from hindsight.accounts.models import ApiToken, User
from hindsight.accounts.services import clean_email, identity_clash
from hindsight.accounts.signals import user_renamed
from hindsight.lib.errors import Invalid
from hindsight.lib.writers import write_transaction


class _OneUserPerIdentity:
    """The admin's user forms keep names and emails unique across both (services.py). Only
    a name or email that changes is checked, so an admin fixes an old collision by changing
    one side of it, and other edits of a colliding user still save."""

    def clean(self):
        data = super().clean()
        changed = set(self.changed_data) if self.instance.pk else {"username", "email"}
        if "email" in changed and data.get("email"):
            try:
                data["email"] = clean_email(data["email"])
            except Invalid as exc:
                self.add_error("email", exc.message)
        for field in ("username", "email"):
            if field in changed and data.get(field) and field not in self.errors:
                clash = identity_clash(**{field: data[field]}, exclude=self.instance.pk)
                if clash is not None:
                    self.add_error(field, clash.message)
        return data


class UserCreation(_OneUserPerIdentity, UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "role")


class UserChange(_OneUserPerIdentity, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChange
    add_form = UserCreation
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
