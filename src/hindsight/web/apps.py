from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "hindsight.web"
    label = "web"
    verbose_name = "Web app"
