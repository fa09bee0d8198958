"""The SLA state shown in queues and on the incident page."""

import pytest
from django.utils import translation

from opsdesk.incidents.tests.sla_support import act, at, logged, pend, sh
from opsdesk.sla.state import duration_text, sla_state

pytestmark = pytest.mark.django_db


def test_state_follows_the_running_clock(org, django_assert_num_queries):
    incident = logged(org, when=sh(2025, 3, 10, 9, 0))  # P3: response due 11:00
    with at(sh(2025, 3, 10, 9, 30)):
        state = sla_state(incident=incident)
    assert (state.clock, state.colour, state.remaining_seconds) == ("response", "ok", 5400)
    with django_assert_num_queries(0), at(sh(2025, 3, 10, 11, 30)):
        state = sla_state(incident=incident)  # policies and calendars come from memory
    assert (state.colour, state.remaining_seconds) == ("breached", -1800)
    incident = act(incident, "start", org, sh(2025, 3, 10, 11, 40))
    incident = pend(incident, org, sh(2025, 3, 10, 14, 0))
    with at(sh(2025, 3, 11, 9, 0)):
        state = sla_state(incident=incident)
    assert (state.clock, state.colour, state.remaining_seconds) == ("resolution", "paused",
                                                                    4 * 3600)
    with translation.override("en"):
        assert duration_text(4 * 3600 + 300) == "4 h 05 min" and duration_text(-600) == "10 min"
    with translation.override("zh-hans"):
        assert duration_text(4 * 3600 + 300) == "4 小时 05 分" and duration_text(-600) == "10 分钟"
