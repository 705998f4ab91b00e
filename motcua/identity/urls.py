from django.urls import path

from . import views

app_name = "identity"
urlpatterns = [
    path("dang-nhap/", views.login_start, name="login"),
    path("callback/", views.callback, name="callback"),
    path("dang-xuat/", views.logout_view, name="logout"),
]
