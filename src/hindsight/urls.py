from django.contrib import admin
from django.urls import include, path, re_path

from hindsight.api import api, unknown_endpoint
from hindsight.web.forms import AdminSignInForm
from hindsight.web.throttle import answer_429_when_throttled

# The admin's sign-in goes through the same throttle as the web app's (web/throttle.py).
admin.site.login_form = AdminSignInForm

urlpatterns = [
    path("api/", api.urls),
    re_path(r"^api/", unknown_endpoint),
    path("admin/login/", answer_429_when_throttled(admin.site.login)),
    path("admin/", admin.site.urls),
    path("", include("hindsight.web.urls")),
]
