from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "hindsight.notifications"
    label = "notifications"
