"""Collaboration services: every change to mentions, tasks and handovers goes through these."""

from .handovers import handover_acknowledge, handover_create
from .mentions import mentioned_users, mentions_after_comment
from .tasks import (TASK_TRANSITIONS, TaskAction, task_create, task_transition, task_update,
                    tasks_after_transition, tasks_guard)

__all__ = [
    "TASK_TRANSITIONS", "TaskAction", "handover_acknowledge", "handover_create",
    "mentioned_users", "mentions_after_comment", "task_create", "task_transition",
    "task_update", "tasks_after_transition", "tasks_guard",
]
