from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("ho-so/<str:code>/nop-phi/", views.start, name="start"),
    path("ho-so/<str:code>/bien-lai/<str:txn_ref>/", views.receipt, name="receipt"),
    path("thanh-toan/ket-qua/", views.result, name="return"),
    path("thanh-toan/<str:txn_ref>/", views.go, name="go"),
    path("can-bo/ho-so/<str:code>/thu-phi-tai-quay/", views.desk_payment, name="desk"),
    path("can-bo/ho-so/<str:code>/bien-lai/<str:txn_ref>/", views.official_receipt, name="official_receipt"),
]
