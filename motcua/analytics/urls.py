from django.urls import path

from . import feedback_views, views

app_name = "analytics"
urlpatterns = [
    # --- citizen feedback desk (analytics-core: feedback_views.py) --------------------------------------------
    path("phan-anh/", feedback_views.handle_list, name="feedback_list"),
    path("phan-anh/<int:pk>/", feedback_views.handle_detail, name="feedback_detail"),
    # --- dashboards (analytics-ui: views.py) ------------------------------------------------------------------
    path("", views.operations, name="operations"),
    path("co-quan/<int:agency_id>/", views.agency, name="agency"),
    path("chi-tiet/", views.drilldown, name="drilldown"),
    path("qua-han/", views.overdue, name="overdue"),
    path("chi-so/", views.index_detail, name="index"),
    path("bao-cao/", views.report, name="report"),
    path("xuat/<slug:name>.<str:fmt>", views.export, name="export"),
]
