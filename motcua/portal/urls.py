from django.urls import path

from motcua.documents import views as documents

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("tra-cuu/", views.lookup, name="lookup"),
    path("thu-tuc/", views.procedures, name="procedures"),
    path("thu-tuc/<str:code>/", views.procedure, name="procedure"),
    path("thu-tuc/<str:code>/nop/", views.apply, name="apply"),
    path("ho-so/", views.my_dossiers, name="my_dossiers"),
    path("ho-so/<str:code>/", views.dossier, name="dossier"),
    path("ho-so/<str:code>/da-nop/", views.submitted, name="submitted"),
    path("ho-so/<str:code>/bo-sung/", views.supplement, name="supplement"),
    path("ho-so/<str:code>/rut/", views.withdraw, name="withdraw"),
    path("ho-so/<str:code>/lien-thong-tiep/", views.follow_on, name="follow_on"),
    path("ho-so/<str:code>/giay-to/", views.upload, name="upload"),
    path("ho-so/<str:code>/giay-to/<int:doc_id>/", views.document, name="document"),
    path("ho-so/<str:code>/bieu-mau/<str:number>/", documents.portal_form, name="dossier_form"),
]
