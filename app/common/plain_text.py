"""Names people type (role names, display names): one line of printable text of bounded length.

Characters that are markup (<, >, &, quotes) are allowed: pages escape them like any text. What is refused is what
no one can see or type on purpose: control and format characters (NUL, escapes, bidi overrides, zero-width joiners
used to fake a look-alike name), line or paragraph separators, unassigned and private-use code points."""
import unicodedata

from flask_babel import gettext as _

_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def name_errors(value, *, max_length) -> list[str]:
    """[] when `value` (already stripped) is a valid name, else the messages to show next to the field."""
    if not value:
        return [_("This field is required.")]
    if len(value) > max_length:
        return [_("At most %(n)s characters.", n=max_length)]
    if any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in value):
        return [_("Only printable characters on one line (no control characters).")]
    return []
