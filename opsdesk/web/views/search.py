"""The search page: incidents and articles the person may see, live as they type (htmx)."""

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse

from opsdesk.search.selectors import KINDS, search_all

PAGE_SIZE = 20
MAX_PAGE = 50  # offsets beyond 1,000 hits are not worth ranking
MAX_QUERY = 200


def _page_number(raw: str) -> int:
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_PAGE else 1


@login_required
def search_page(request):
    """`/search/?q=&kind=&page=`: the whole page, or only the results for htmx."""
    q = request.GET.get("q", "").strip()[:MAX_QUERY]
    kind = request.GET.get("kind", "all")
    kind = kind if kind in KINDS else "all"
    page = _page_number(request.GET.get("page", ""))
    hits, more = [], False
    if q:
        found = search_all(request.user, q, KINDS if kind == "all" else (kind,),
                           limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        hits, more = found[:PAGE_SIZE], len(found) > PAGE_SIZE
    context = {"q": q, "kind": kind, "kinds": KINDS, "hits": hits, "page": page,
               "next_page": page + 1 if more and page < MAX_PAGE else None,
               "previous_page": page - 1 if page > 1 else None, "nav": "search"}
    template = "web/search/page.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#results"
    return TemplateResponse(request, template, context)
