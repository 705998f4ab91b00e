from django.contrib import admin
from django.urls import include, path

from motcua.api import api

admin.site.site_header = "Quản trị motcua"
admin.site.site_title = "motcua"

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("tai-khoan/", include("motcua.accounts.urls")),
    path("dinh-danh/", include("motcua.identity.urls")),
    path("", include("motcua.store.urls")),
    path("can-bo/", include("motcua.backoffice.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("xac-minh/", include("motcua.results.urls")),
    path("tro-ly-ao/", include("motcua.assistant.urls")),
    path("dieu-hanh/", include("motcua.analytics.urls")),
    path("thong-ke/", include("motcua.analytics.public_urls")),
    path("danh-gia/", include("motcua.analytics.feedback_urls")),
    path("", include("motcua.notifications.urls")),
    path("", include("motcua.payments.urls")),
    path("", include("motcua.portal.urls")),
]
