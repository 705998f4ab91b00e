from django.urls import path

from . import views

app_name = "results"
urlpatterns = [
    path("", views.verify, name="verify"),
    path("<str:token>/", views.result, name="result"),
    path("<str:token>/tai-ve/", views.download, name="download"),
    path("<str:token>/<str:how>/", views.change, name="change"),  # POST only, officials: revoke | replace
]
