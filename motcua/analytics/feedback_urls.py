"""The applicant's rating and feedback page for a returned dossier (mounted at /danh-gia/)."""

from django.urls import path

from . import feedback_views

app_name = "analytics_feedback"
urlpatterns = [
    path("<str:code>/", feedback_views.rate, name="rate"),
]
