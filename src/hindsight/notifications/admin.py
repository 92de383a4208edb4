from django import forms
from django.contrib import admin, messages

from hindsight.notifications import services
from hindsight.notifications.models import EVENTS, Attempt, Channel, Delivery, Kind, new_secret


class ChannelForm(forms.ModelForm):
    # The secret is write-only here as in the API: a blank field keeps the current one.
    new_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Webhooks: leave blank to keep the current secret (or get a random one).",
    )
    events = forms.MultipleChoiceField(
        choices=[(e, e) for e in EVENTS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event.",
    )
    url = forms.URLField(required=False, assume_scheme="https", max_length=2000)
    recipients = forms.CharField(
        required=False, help_text="Email channels: addresses separated by commas."
    )

    class Meta:
        model = Channel
        fields = ("name", "kind", "url", "recipients", "events", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["recipients"] = ", ".join(self.instance.recipients)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in (Kind.WEBHOOK, Kind.SLACK) and not data.get("url"):
            self.add_error("url", f"A {kind} channel needs a URL.")
        if kind == Kind.EMAIL and not data.get("recipients"):
            self.add_error("recipients", "An email channel needs at least one address.")
        return data

    def clean_recipients(self):
        raw = self.cleaned_data.get("recipients") or ""
        return [part.strip() for part in raw.split(",") if part.strip()]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ("name", "kind", "url", "is_active", "created_at")
    list_filter = ("kind", "is_active")
    readonly_fields = ("secret_hint",)

    def save_model(self, request, obj, form, change):
        secret = form.cleaned_data.get("new_secret")
        if secret:
            obj.secret = secret
        elif obj.kind == Kind.WEBHOOK and not obj.secret:
            obj.secret = new_secret()
            messages.warning(
                request, f"The channel's signing secret is {obj.secret} — copy it now."
            )
        super().save_model(request, obj, form, change)


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = ("started_at", "duration_ms", "ok", "status_code", "error", "worker")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "event_name", "channel", "status", "attempts", "next_attempt_at")
    list_filter = ("status", "channel", "event__name")
    list_select_related = ("event", "channel")
    search_fields = ("id", "event__id")
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [AttemptInline]
    actions = ["retry"]

    @admin.display(description="event")
    def event_name(self, obj):
        return obj.event.name

    def has_add_permission(self, request):
        return False

    @admin.action(description="Retry the selected deliveries now")
    def retry(self, request, queryset):
        count = services.retry_deliveries(queryset)
        messages.success(request, f"{count} deliveries will be sent again shortly.")
