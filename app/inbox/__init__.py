"""Task inbox: the user's home page, the generic task form page and the /api/v1/tasks API."""
from app.inbox import choices  # noqa: F401  (registers the x-dictionary / x-users form choices)
from processes.actor import Actor


def actor_for(user) -> Actor:
    return Actor(id=user.id, role=user.role_code, rights=user.right_codes)
