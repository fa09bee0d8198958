"""REST API: search across incidents and knowledge articles (opsdesk/search/README.md)."""

from typing import Literal

from ninja import Query, Router, Schema
from pydantic import Field

from opsdesk.search.selectors import KINDS, search_all

from .responses import json_response
from .schemas import ERRORS

router = Router()


class SearchQuery(Schema):
    q: str = Field(..., min_length=1, max_length=200,
                   description="Words in Chinese or English, or an incident number")
    kind: Literal["all", "incidents", "articles"] = "all"
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=1000)


class HitOut(Schema):
    kind: str = Field(description="incidents or articles")
    id: int
    number: str | None = Field(description="Incident or article number")
    title: str
    title_html: str = Field(description="The title, HTML-escaped, hits in <mark>")
    snippet: str = Field(description="The best passage, HTML-escaped, hits in <mark>")
    rank: float = Field(description="Higher is better")
    url: str = Field(description="The record's page")


class SearchPage(Schema):
    items: list[HitOut]
    next_offset: int | None = Field(description="Offset of the next page; null on the last")


@router.get("", response={200: SearchPage, **ERRORS}, summary="Search incidents and articles")
def search(request, query: Query[SearchQuery]):
    """Ranked hits the caller may see: incidents (restricted as in every list) and articles."""
    kinds = KINDS if query.kind == "all" else (query.kind,)
    hits = search_all(request.auth, query.q, kinds, limit=query.limit + 1, offset=query.offset)
    more = len(hits) > query.limit
    return json_response({
        "items": [{"kind": h.kind, "id": h.object.pk, "number": h.number, "title": h.label,
                   "title_html": str(h.title), "snippet": str(h.snippet),
                   "rank": round(h.rank, 6), "url": h.url} for h in hits[:query.limit]],
        "next_offset": query.offset + query.limit if more else None,
    })
