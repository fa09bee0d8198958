"""The v1 NinjaAPI: authentication, routers and the mapping of every error to a clear 4xx JSON."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from opsdesk.core.exceptions import DomainError

from .auth import AUTH
from .parser import NulRefusingParser
from .incidents import router as incidents_router
from .intake import alerts_router
from .intake import router as intake_router
from .me import router as me_router
from .reference import router as reference_router
from .sla import router as sla_router
from .knowledge import router as knowledge_router
from .catalog import router as catalog_router
from .search import router as search_router
from .major import router as major_router
from .problems import router as problems_router
from .vendors import router as vendors_router
from .collab import router as collab_router
from .reviews import router as reviews_router
from .surveys import router as surveys_router
from .measures import router as measures_router
from .analysis import router as analysis_router
from .reports import router as reports_router

api = NinjaAPI(
    title="opsdesk API",
    version="1",
    description="Incident management for IT operations (ITSS / ITIL 4). Authenticate with "
                "`Authorization: Bearer <token>` (create one with `opsdesk token create USERNAME`) "
                "or with the browser session and its CSRF token.",
    auth=AUTH,
    urls_namespace="api-v1",
    parser=NulRefusingParser(),
)
api.add_router("/incidents", incidents_router, tags=["incidents"])
api.add_router("/", reference_router, tags=["reference data"])
api.add_router("/sla", sla_router, tags=["SLA"])
api.add_router("/me", me_router, tags=["me"])
api.add_router("/intake", intake_router, tags=["intake"])
api.add_router("/alerts", alerts_router, tags=["intake"])
api.add_router("/knowledge", knowledge_router, tags=["knowledge"])
api.add_router("/catalog", catalog_router, tags=["service catalogue"])
api.add_router("/search", search_router, tags=["search"])
api.add_router("/major-incidents", major_router, tags=["major incidents"])
api.add_router("/problems", problems_router, tags=["problems"])
api.add_router("/vendors", vendors_router, tags=["vendors"])
api.add_router("/", collab_router, tags=["collaboration"])
api.add_router("/reviews", reviews_router, tags=["post-incident reviews"])
api.add_router("/surveys", surveys_router, tags=["satisfaction surveys"])
api.add_router("/measures", measures_router, tags=["measures"])
api.add_router("/analysis", analysis_router, tags=["process analysis"])
api.add_router("/reports", reports_router, tags=["reports"])
api.add_router("/audit", "opsdesk.audit.api.router", tags=["audit log"])


LOCATION_PARTS = frozenset({"body", "payload", "query", "path", "form", "file", "header"})


def _error(request, status: int, detail: str, errors: dict | None = None):
    return api.create_response(request, {"detail": str(detail), "errors": errors or {}},
                               status=status)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    response = _error(request, exc.status_code, exc.message,
                      {k: str(v) for k, v in exc.errors.items()})
    if retry_after := getattr(exc, "retry_after", None):
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    errors = {}
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ())
                    if part not in LOCATION_PARTS and not isinstance(part, int)]
        field = ".".join(location) or "body"
        if error.get("type") == "extra_forbidden":
            errors[field] = _("This field cannot be set here: it is set by the system or "
                              "does not exist.")
        elif error.get("type") == "json_invalid" or field == "body":
            errors[field] = _("The request body is not valid JSON for this endpoint.")
        else:
            errors[field] = error.get("msg", _("Invalid value."))
    return _error(request, 422, _("Some fields are missing or invalid."), errors)


@api.exception_handler(DjangoValidationError)
def django_validation_error(request, exc: DjangoValidationError):
    errors = {k: " ".join(map(str, v)) for k, v in getattr(exc, "message_dict", {}).items()}
    return _error(request, 422, " ".join(exc.messages), errors)


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return _error(request, 401, _("Sign in, or send a valid token as "
                                  "“Authorization: Bearer <token>”."))


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, _("Not found."))


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, DomainError):  # our parser refused the body (parser.py)
        return domain_error(request, exc.__cause__)
    detail = str(exc)
    if "CSRF" in detail:
        detail = _("The CSRF token is missing or wrong. Reload the page and try again.")
    elif exc.status_code == 400:
        detail = _("The request body could not be read. Send valid JSON (or multipart form "
                   "data for uploads).")
    return _error(request, exc.status_code, detail)
