from opsdesk.core.testing.fixtures import *  # noqa: F401,F403
