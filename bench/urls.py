"""The app's URLs plus `/bench/insert/`: the reference, a bare Django view doing one INSERT."""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from motcua.urls import urlpatterns as app_urlpatterns


@csrf_exempt
def insert_one(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cur:
        cur.execute("INSERT INTO bench_reference (payload, created_at) VALUES (%s, now())", [request.body.decode()])
    return JsonResponse({"ok": True}, status=201)


urlpatterns = [path("bench/insert/", insert_one), *app_urlpatterns]
