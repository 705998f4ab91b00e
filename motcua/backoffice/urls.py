from django.urls import path

from motcua.documents import views as documents

from . import views

app_name = "backoffice"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("mot-cua/", views.desk, name="desk"),
    path("viec-cua-toi/", views.tasks, name="tasks"),
    path("ho-so/", views.dossiers, name="dossiers"),
    path("ho-so/<str:code>/", views.dossier, name="dossier"),
    path("ho-so/<str:code>/giay-to/<int:doc_id>/", views.document, name="document"),
    path("ho-so/<str:code>/bieu-mau/<str:number>/", documents.backoffice_form, name="dossier_form"),
    path("so-theo-doi/", documents.tracking_book, name="tracking_book"),
    path("lien-thong/", views.linked, name="linked"),
    path("lich/", views.calendar, name="calendar"),
    path("nhat-ky/", views.audit_log, name="audit_log"),
]
