from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", views.LogoutView.as_view(), name="logout"),
    path("xac-thuc-2-buoc/", views.otp_verify, name="otp_verify"),
    path("thiet-lap-2-buoc/", views.otp_setup, name="otp_setup"),
]
