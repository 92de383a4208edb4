from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "hindsight.incidents"
    label = "incidents"
