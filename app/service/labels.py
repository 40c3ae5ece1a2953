"""UI labels for the service domain. Status words are translated with a context because other domains use
the same English words ("New", "Assigned") for different Chinese terms."""
from flask_babel import lazy_pgettext

STATUS_LABELS = {
    "new": lazy_pgettext("service status", "New"),
    "assigned": lazy_pgettext("service status", "Assigned"),
    "handled": lazy_pgettext("service status", "Handled"),
    "archived": lazy_pgettext("service status", "Archived"),
}
STARS = {n: "★" * n + "☆" * (5 - n) for n in range(1, 6)}


def status_label(code):
    return str(STATUS_LABELS.get(code, code or ""))


def stars(n):
    return STARS.get(n, "")
