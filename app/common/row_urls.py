"""URLs for the rows of a list: one endpoint, one value varying per row.

url_for matches and builds a route for every call: an inbox page of 20 rows built some 60 URLs that differ only in
an id (about a tenth of the page's time). row_url builds the endpoint's URL once per request with a stand-in value
and puts each row's value in its place. A value that the route would have to quote (or anything unusual) goes
through url_for as before, so the result is always url_for's."""
import re

from flask import g, url_for

_INT_STAND_IN = 2147480001  # an int, for routes with the int converter; never a real row's id on a page
_STR_STAND_IN = "rowurlstandin"
_PLAIN = re.compile(r"[A-Za-z0-9_-]+\Z")  # no route converter or quoting changes these characters


def row_url(endpoint, name, value, **values):
    """url_for(endpoint, name=value, **values), its pattern built once per request."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) or (isinstance(value, str)
                                                                       and not _PLAIN.match(value)):
        return url_for(endpoint, **{name: value}, **values)
    try:
        key = (endpoint, name, type(value), tuple(sorted(values.items())))
        hash(key)
    except TypeError:
        return url_for(endpoint, **{name: value}, **values)
    patterns = g.setdefault("_row_urls", {})
    parts = patterns.get(key)
    if parts is None:
        stand_in = _INT_STAND_IN if isinstance(value, int) else _STR_STAND_IN
        pieces = url_for(endpoint, **{name: stand_in}, **values).split(str(stand_in))
        parts = patterns[key] = tuple(pieces) if len(pieces) == 2 else ()
    if not parts:  # the stand-in was not found exactly once: build this one as usual
        return url_for(endpoint, **{name: value}, **values)
    return f"{parts[0]}{value}{parts[1]}"


def fixed_url(endpoint):
    """url_for(endpoint) with no values, built once per request (a link every row carries, e.g. a return path)."""
    fixed = g.setdefault("_fixed_urls", {})
    url = fixed.get(endpoint)
    if url is None:
        url = fixed[endpoint] = url_for(endpoint)
    return url
