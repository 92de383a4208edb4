from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "hindsight.reviews"
    label = "reviews"
