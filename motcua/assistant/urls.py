from django.urls import path

from . import views

app_name = "assistant"
urlpatterns = [
    path("", views.chat, name="chat"),
    path("dieu/<int:pk>/", views.article, name="article"),
    path("nhat-ky/", views.log_list, name="log"),
    path("nhat-ky/<int:pk>/", views.log_detail, name="log_detail"),
]
