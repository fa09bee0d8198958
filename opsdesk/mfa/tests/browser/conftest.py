"""The web app's browser fixtures (one Chromium, the live server, a page signed in through
/login/), used here as they are: see opsdesk/web/tests/browser/conftest.py."""

from opsdesk.web.tests.browser.conftest import (  # noqa: F401  (fixtures)
    _live_database,
    _media_url_for_live_server,
    chromium_browser,
    live_server,
    new_page,
    page_for,
    shoot,
    tr,
)
