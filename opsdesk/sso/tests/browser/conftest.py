"""The browser fixtures of opsdesk/web/tests/browser (Chromium, live server, pages), reused."""

from opsdesk.web.tests.browser.conftest import (  # noqa: F401  (fixtures)
    _live_database,
    _media_url_for_live_server,
    chromium_browser,
    live_server,
    new_page,
)
