"""Where to go after login or a language switch: only a path on this site, judged as a browser would read it.

A browser drops tabs and newlines anywhere in a URL, trims control characters and spaces at its ends and reads
a backslash as a slash, so `/<TAB>/host`, `/\\host` or `\\/host` all become the scheme-relative `//host` (another
site). A target holding a control character or a backslash, or starting or ending with a space, is refused
outright; what is left must be a path with exactly one leading slash, no scheme and no host — and stay one once
percent-encoding is undone, so an encoded variant (`%2F%2Fhost`, `/%5Chost`, `/%09/host`) cannot turn into one
in a layer that decodes.
"""
import re
from urllib.parse import unquote, urlsplit

_DECODE_ROUNDS = 3  # sees through double and triple encoding; deeper nesting is refused
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DROPPED = re.compile(r"[\t\n\r]")


def _as_browser_reads(value: str) -> str:
    return _DROPPED.sub("", value).strip("".join(map(chr, range(0x21)))).replace("\\", "/")


def _same_site_path(value: str) -> bool:
    value = _as_browser_reads(value)
    if not value.startswith("/") or value.startswith("//"):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def safe_next(target):
    """`target` if it is a same-site path, else None (the caller then goes to the landing page)."""
    if not target or len(target) > 2000 or target != target.strip() or "\\" in target or _CONTROL.search(target):
        return None
    value = target
    for _ in range(_DECODE_ROUNDS):
        if not _same_site_path(value):
            return None
        decoded = unquote(value)
        if decoded == value:
            return target
        value = decoded
    return None
