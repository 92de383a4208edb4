from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from hindsight.api import api, unknown_endpoint
from hindsight.web.forms import AdminSignInForm
from hindsight.web.throttle import answer_429_when_throttled

# The admin's sign-in goes through the same throttle as the web app's (web/throttle.py).
admin.site.login_form = AdminSignInForm

# Styled error pages with the navigation; 500 is Django's default view, rendering 500.html
# without a request context, so it shows even when the database is what failed.
handler403 = "hindsight.web.views.forbidden"
handler404 = "hindsight.web.views.not_found"

urlpatterns = [
    path("api/", api.urls),
    re_path(r"^api/", unknown_endpoint),
    path("admin/login/", answer_429_when_throttled(admin.site.login)),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico where a page names no icon (a PDF, a JSON answer).
    path("favicon.ico", RedirectView.as_view(url=static("web/logo.svg"), permanent=True)),
    path("", include("hindsight.web.urls")),
]
