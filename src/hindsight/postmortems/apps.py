from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "hindsight.postmortems"
    label = "postmortems"
    verbose_name = "Post-mortems"
