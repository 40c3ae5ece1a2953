"""Who may hand out which rights: nobody grants a right they do not hold, nor changes the rights of their own role.

Without these rules a holder of role.manage alone could tick every right on their own role (or on any role they then
give themselves or a friend) and so hold every right of the system."""
from flask_babel import gettext as _


def rights_beyond(actor, codes) -> list[str]:
    """The codes among `codes` that `actor` does not hold, sorted."""
    held = actor.right_codes
    return sorted({c for c in codes if c not in held})


def grant_errors(actor, codes) -> list[str]:
    beyond = rights_beyond(actor, codes)
    if beyond:
        return [_("You cannot grant rights you do not hold yourself: %(codes)s", codes=", ".join(beyond))]
    return []
