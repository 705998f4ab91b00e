from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("hop-thu/", views.inbox, name="inbox"),
    path("hop-thu/<int:pk>/da-doc/", views.mark_read, name="mark_read"),
    path("hop-thu/da-doc-tat-ca/", views.mark_all_read, name="mark_all_read"),
    path("thong-bao/sms/bao-cao/", views.sms_delivery_report, name="sms_dlr"),
]
