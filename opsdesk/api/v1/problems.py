"""REST API: problems."""

from ninja import Router

router = Router()
