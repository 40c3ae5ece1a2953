"""The customer list: filters, the one search box, and its pagination.

On PostgreSQL the 'contains' conditions are served by indexes: trigram indexes (models.search_index) from 3
characters; for 1 or 2 characters, which have no trigram, the names and numbers have an index over their characters
(models.chars_index) that narrows the rows to those holding every character of the text before the LIKE decides.
A query is split into one simple condition per column (a UNION) so that each part can use its own index. SQLite has
neither index: the conditions there are the plain LIKE."""
import re

from sqlalchemy import Boolean, Integer, any_, bindparam, case, func, or_, select, union
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.auth.guard import sees_all
from app.common.listing import Page, paginate
from app.customers.models import Contact, Customer, lowered_chars
from app.customers.service import VISIBLE_STATUSES, WITH_MANAGER_NAME, scoped

MATCHED_IDS_MAX = 5000
# A text more customers than this contain is counted as "5000+" (_common_page): about where counting every match
# starts to cost more than the walk along the key (bench/customers.py).
SEARCH_COUNT_LIMIT = 5000
# The list without a search text counts up to this many customers ("5000+"): counting a million rows for the
# pager took 36 of the first page's 47 ms at 1M customers (bench/customers.py, scale 10).
COUNT_LIMIT = 5000
PHONE_LIKE = re.compile(r"^[0-9+()\- ]+$")
ASCII_WORD = re.compile(r"^[A-Za-z0-9\-]+$")


class _narrowed_by_chars(FunctionElement):
    """`condition` ('column contains text'), on PostgreSQL preceded by `lowered_chars(column) @>
    lowered_chars(text)`: every character of the text occurs in the column, which the column's chars_index answers.
    The LIKE still decides; the test only narrows, and never drops a match: PostgreSQL's ILIKE compares lower() of
    both sides, so a match holds every character of lower(text) (a LIKE match, all the more so). Elsewhere just
    `condition`."""
    type = Boolean()
    inherit_cache = True


@compiles(_narrowed_by_chars)
def _plain(element, compiler, **kw):
    _column, _text, condition = element.clauses
    return compiler.process(condition, **kw)


@compiles(_narrowed_by_chars, "postgresql")
def _with_chars_index(element, compiler, **kw):
    column, text, condition = element.clauses
    narrowed = lowered_chars(column).op("@>", is_comparison=True)(lowered_chars(text)) & condition
    return compiler.process(narrowed.self_group(), **kw)


def _contains(column, text, chars_index=False, no_index=False):
    """column contains text, case-insensitive only when the text has letters with a case (ILIKE costs more).
    `chars_index`: the column has a models.chars_index (used for texts too short for trigrams). `no_index`: a
    condition no index answers, for a walk along the primary key that stops after a page (_common_page)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    short = len(text) < 3
    indexed = column
    if short or no_index:
        # Too short for a trigram: the trigram index would be read whole. Hide the column from it (an expression
        # does not match the index) so PostgreSQL narrows by the characters index, by another index (e.g. the
        # manager's) or scans the table; with no_index, the walk along the key tests each row itself.
        column = column + ""
    condition = column.ilike(pattern, escape="\\") if text.lower() != text.upper() \
        else column.like(pattern, escape="\\")
    if short and chars_index and not no_index:
        return _narrowed_by_chars(indexed, text, condition)
    return condition


def search_ids(q, manager_id=None, skip=()):
    """Ids of the customers whose number, name, contact name or contact phone contains q.

    Only the columns the text can occur in are searched: digits are looked up in numbers, names and phones,
    words in names (and in numbers when they are plain ASCII, e.g. 'KH2503'). One simple condition per part of a
    UNION, so that each part can use its own trigram index. With `manager_id` each part keeps to that manager's
    customers (a manager's search then starts from the manager index when the text is too short for trigrams).
    `skip` ("name", "no"): customer columns whose matches the caller already has (_common_page's probes)."""
    def customers(condition):
        stmt = select(Customer.id).where(condition)
        return stmt.where(Customer.manager_id == manager_id) if manager_id is not None else stmt

    def contacts(condition):
        stmt = select(Contact.customer_id).where(condition)
        if manager_id is not None:
            stmt = stmt.join(Customer, Customer.id == Contact.customer_id).where(Customer.manager_id == manager_id)
        return stmt

    parts = [] if "name" in skip else [customers(_contains(Customer.name, q, chars_index=True))]
    if ASCII_WORD.match(q) and "no" not in skip:
        parts.append(customers(_contains(Customer.no, q.upper(), chars_index=True)))
    if PHONE_LIKE.match(q):
        parts += [contacts(_contains(Contact.mobile, q)), contacts(_contains(Contact.office_phone, q))]
    else:
        parts.append(contacts(_contains(Contact.name, q, chars_index=True)))
    return union(*parts) if len(parts) > 1 else parts[0]


def search_words(q):
    """The words of a search text (any whitespace, the full-width space too): every word must match."""
    return (q or "").split()


def _key_word(words):
    """The word that leads a search of several: the longest, as the likeliest to be rare."""
    return max(words, key=len)


def _search_owner(user, manager_id):
    """Whose customers a search reads: the user's own without data.all, else the manager filter (or everybody)."""
    return manager_id if user is None or sees_all(user) else user.id


def query_customers(*, user, q=None, no=None, name=None, region=None, manager_id=None, level=None, status=None,
                    matched=None):
    """The list statement (newest first) for these filters, within what `user` may see (None: every customer,
    for pickers that may choose any, see suggest_customers). Every word of the search
    text `q` must match (search_ids). `matched`, when given, is the condition "among the ids its key word was
    already found to match" (_among)."""
    stmt = select(Customer).options(WITH_MANAGER_NAME)
    stmt = stmt.where(Customer.status == status) if status in VISIBLE_STATUSES \
        else stmt.where(Customer.status.in_(VISIBLE_STATUSES))
    words = search_words(q)
    if matched is not None:
        stmt = stmt.where(matched)
        words.remove(_key_word(words))  # the matched ids are the key word's matches
    for word in words:
        stmt = stmt.where(Customer.id.in_(search_ids(word, _search_owner(user, manager_id))))
    if no and no.strip():
        stmt = stmt.where(_contains(Customer.no, no.strip().upper(), chars_index=True))
    if name and name.strip():
        stmt = stmt.where(_contains(Customer.name, name.strip(), chars_index=True))
    if region:
        stmt = stmt.where(Customer.region == region)
    if manager_id is not None:
        stmt = stmt.where(Customer.manager_id == manager_id)
    if level is not None:
        stmt = stmt.where(Customer.level == level)
    return (stmt if user is None else scoped(stmt, user)).order_by(Customer.id.desc())


def find_customers(db, *, user, page=1, per_page=20, **filters) -> Page:
    """One page of the list. A text search counts and pages in one pass: its matches are found by scanning
    indexes that cannot also give the order, so running it twice (count, then page) would double the cost."""
    words = search_words(filters.get("q"))
    q = _key_word(words) if words else ""
    probed = {}
    if len(words) == 1:
        # (Several words are counted exactly: a common first word says nothing about how many match them all.)
        common = _common_page(db, user, q, filters, page, per_page, probed)
        if common is not None:
            return common
    if len(q) >= 3:
        # Found through the trigram indexes, the matching ids come first when they are not too many: PostgreSQL
        # then fetches those customers by key instead of guessing how many match and scanning the customer table
        # to join them. (Shorter texts are scanned for anyway; one query is cheaper then.)
        # With several words, the key word's matches come first and the others narrow them.
        # The columns the probes already searched are not searched again: their matches are reused (a number
        # prefix's leading trigrams are in nearly every number, so its trigram lookup reads most of that index).
        matches = search_ids(q, _search_owner(user, filters.get("manager_id")), skip=probed).subquery()
        ids = set(db.scalars(select(matches.c[0]).limit(MATCHED_IDS_MAX + 1))).union(*probed.values())
        if len(ids) <= MATCHED_IDS_MAX:
            filters = {**filters, "matched": _among(ids, db.get_bind().dialect.name)}
    stmt = query_customers(user=user, **filters)
    if any((filters.get(k) or "").strip() for k in ("q", "no", "name")):
        return _paginate_in_one_pass(db, stmt, page, per_page)
    return paginate(db, stmt, page, per_page, count_limit=COUNT_LIMIT)


def _among(ids, dialect):
    """Customer.id among `ids`: on PostgreSQL one array parameter. As an IN list, thousands of ids meant thousands
    of bound parameters, which cost about as much as the statement (a 3-character contact name at 1M customers:
    4,762 ids, 18 ms of Python around 38 ms of SQL)."""
    if dialect == "postgresql":
        return Customer.id == any_(bindparam("matched_ids", ids, type_=postgresql.ARRAY(Integer)))
    return Customer.id.in_(ids)


SUGGEST_LIMIT = 10


def picks_any_customer(user):
    """Who may choose among every customer in a form: supervisors (data.all) and the service desk, which records
    requests for any customer (service.feedback); a customer manager picks among their own."""
    return sees_all(user) or user.can("service.feedback")


def suggest_customers(db, *, user, q, limit=SUGGEST_LIMIT):
    """The type-ahead of forms that pick a customer: up to `limit` customers the user may pick matching every word
    of `q` (number, name, contact), newest first, as {no, name}."""
    if not search_words(q):
        return []
    found = find_customers(db, user=None if picks_any_customer(user) else user, page=1, per_page=limit, q=q)
    return [{"no": c.no, "name": c.name} for c in found.items]


def _search_condition_unindexed(q):
    """search_ids' conditions as one OR on the customer row (contacts through EXISTS), answered by no index."""
    found = [_contains(Customer.name, q, no_index=True)]
    if ASCII_WORD.match(q):
        found.append(_contains(Customer.no, q.upper(), no_index=True))
    columns = (Contact.mobile, Contact.office_phone) if PHONE_LIKE.match(q) else (Contact.name,)
    # OFFSET 0 keeps PostgreSQL from turning this EXISTS into a hashed subplan, which reads every contact before
    # the first customer row is tested (110 ms at 2M contacts); row by row it is one index probe of that
    # customer's contacts, and the walk tests a few hundred rows for a page.
    found.append(select(Contact.id).where(Contact.customer_id == Customer.id,
                                          or_(*[_contains(c, q, no_index=True) for c in columns]))
                 .offset(0).exists())
    return or_(*found)


def _common_page(db, user, q, filters, page, per_page, probed):
    """A text more than SEARCH_COUNT_LIMIT customers contain (公司, 有限公司, KH), or None for any other text.

    Counting such a search means finding every match (the UNION of search_ids is evaluated whole before any LIMIT
    applies): 0.2-0.3 s at 100,000 customers. Instead, a cheap probe (the names, or the numbers, of up to the
    limit + 1 customers, through their own indexes, within the same filters and scope) shows the text is common;
    the page is then read newest first along the primary key, testing each row, which finds a page of such common
    matches within a few dozen rows. The page says "5000+" and Next stays open.

    When the text is not common, each probe has found all its column's matches within the filters and scope: they
    are left in `probed` ({column: ids}) for the search not to look them up again."""
    cap = max(SEARCH_COUNT_LIMIT, page * per_page)
    rest = {k: v for k, v in filters.items() if k != "q"}
    # (a probe only where the user has not filtered that column: it must find a subset of the search's matches)
    probes = [key for key in ("name", "no") if not (rest.get(key) or "").strip()
              and (key == "name" or ASCII_WORD.match(q))]
    for key in probes:
        where = query_customers(user=user, **{**rest, key: q}).whereclause
        ids = _ids_below(db, where, cap + 1)
        if ids is None:  # more than cap: a common text
            break
        probed[key] = ids
    else:
        return None
    stmt = query_customers(user=user, **rest).where(_search_condition_unindexed(q))
    items = db.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return Page(items=items, total=cap, page=page, per_page=per_page, total_exact=False)


def _ids_below(db, where, limit):
    """The ids of the customers meeting `where`, or None when `limit` or more do. On PostgreSQL one row: the ids
    as an array, or no array once the limit is reached (fetching 5,001 ids only to learn that a text is common
    cost more than the count it replaced)."""
    found = select(Customer.id).where(where).limit(limit).subquery()
    if db.get_bind().dialect.name == "postgresql":
        n, ids = db.execute(select(func.count(), case((func.count() < limit, func.array_agg(found.c.id))))).one()
        return (ids or []) if n < limit else None
    ids = list(db.scalars(select(found.c.id)))
    return ids if len(ids) < limit else None


def _paginate_in_one_pass(db, stmt, page, per_page):
    """One page of a query_customers statement (whose criteria are on customer columns: they are reused on their
    own), counted in the same pass. The matches are counted and the page's keys picked on the customer keys alone;
    only the page's customers are then read whole, with their managers (counting whole joined rows took about twice
    as long for a few thousand matches)."""
    # Ordering by an expression rather than the key keeps PostgreSQL from walking the whole primary-key index
    # backwards to merge it with the (few) matches: it fetches the matches by key and sorts them instead.
    keys = (select(Customer.id, func.count().over().label("total")).where(stmt.whereclause)
            .order_by((Customer.id + 0).desc()).limit(per_page).offset((page - 1) * per_page).subquery())
    rows = db.execute(select(Customer, keys.c.total).join(keys, keys.c.id == Customer.id)
                      .options(WITH_MANAGER_NAME).order_by(Customer.id.desc())).all()
    if rows:
        return Page(items=[r[0] for r in rows], total=rows[0].total, page=page, per_page=per_page)
    if page == 1:
        return Page(items=[], total=0, page=1, per_page=per_page)
    return paginate(db, stmt, page, per_page)  # past the end: paginate clamps to the last page
