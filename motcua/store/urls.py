from django.urls import path

from . import views

app_name = "store"
urlpatterns = [
    path("kho-du-lieu/", views.my_store, name="mine"),
    path("kho-du-lieu/<int:pk>/", views.my_document, name="document"),
    path("can-bo/ho-so/<str:code>/kho/<int:reuse_id>/", views.dossier_document, name="dossier_document"),
]
