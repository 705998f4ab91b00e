"""A URLconf with only the admin, so the worktime admin is testable while the project's urls.py evolves."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
