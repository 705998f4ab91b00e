"""The REST API: /api/v1/..., OpenAPI at /api/openapi.json, interactive docs at /api/docs."""

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from motcua.core.api_support import install_problem_handlers


class Utf8JSONRenderer(JSONRenderer):
    """Vietnamese as UTF-8 text, not \\u escapes: smaller, and readable in logs and curl."""

    media_type = "application/json; charset=utf-8"
    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="motcua API",
    version="1",
    description="API của hệ thống một cửa điện tử motcua: danh mục thủ tục, thời hạn, hồ sơ.",
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    renderer=Utf8JSONRenderer(),
)
install_problem_handlers(api)


def _mount() -> None:
    from motcua.analytics.api import router as analytics_router
    from motcua.assistant.api import router as assistant_router
    from motcua.catalog.api import router as catalog_router
    from motcua.documents.api import router as documents_router
    from motcua.dossiers.api import lookup_router
    from motcua.dossiers.api import router as dossier_router
    from motcua.exchange.api import router as exchange_router
    from motcua.payments.api import router as payments_router
    from motcua.results.api import router as results_router
    from motcua.worktime.api import router as worktime_router

    api.add_router("/v1/worktime/", worktime_router)
    api.add_router("/v1/procedures", catalog_router)
    api.add_router("/v1/dossiers", dossier_router)
    api.add_router("/v1/dossiers", documents_router)  # /{code}/forms/{number}: the one-stop forms as PDF
    api.add_router("/v1/lookup", lookup_router)
    api.add_router("/v1/exchange", exchange_router)
    api.add_router("/v1/results", results_router)
    api.add_router("/v1/", payments_router)  # payments/ipn, dossiers/{code}/payments
    api.add_router("/v1/assistant", assistant_router)
    api.add_router("/v1/analytics", analytics_router)


_mount()
