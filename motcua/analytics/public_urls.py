from django.urls import path

from . import views

app_name = "analytics_public"
urlpatterns = [
    path("", views.public_statistics, name="statistics"),
]
