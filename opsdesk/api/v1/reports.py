"""REST API: exports, the monthly service report and scheduled reports."""

from ninja import Router

router = Router()
