from django.apps import AppConfig

from hindsight.lib.events import subscribe


class NotificationsConfig(AppConfig):
    name = "hindsight.notifications"
    label = "notifications"

    def ready(self) -> None:
        # Models (which services import) load only once the app registry is ready.
        from hindsight.notifications.services import record_events

        # What the domain announces goes to the outbox, in the announcing transaction.
        subscribe(record_events)
