from django.contrib import admin
from django.urls import include, path, re_path

from hindsight.api import api, unknown_endpoint

urlpatterns = [
    path("api/", api.urls),
    re_path(r"^api/", unknown_endpoint),
    path("admin/", admin.site.urls),
    path("", include("hindsight.web.urls")),
]
