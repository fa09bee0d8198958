from opsdesk.api.tests.conftest import ApiClient, api  # noqa: F401
from opsdesk.core.testing.fixtures import *  # noqa: F401,F403
