"""The customer list: filters, the one search box, and its pagination.

On PostgreSQL the 'contains' conditions are served by indexes: trigram indexes (models.search_index) from 3
characters; for 1 or 2 characters, which have no trigram, the numbers, names and contact texts have an index over
their characters (models.chars_index) that narrows the rows to those holding every character of the text before
the LIKE decides. Every searched text is on the customer row (its contacts' names and phones in
customer.contact_text). A search is split into one simple condition per column (one statement each for a single
word, a UNION for several) so that each part can use its own index. SQLite has neither index: the conditions there
are the plain LIKE."""
import re

from sqlalchemy import Boolean, Integer, any_, bindparam, case, false, func, or_, select, true, union
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.auth.guard import sees_all
from app.common import statement_cache
from app.common.listing import Page, clamp, paginate
from app.customers.models import Customer, lowered_chars
from app.customers.service import VISIBLE_STATUSES, WITH_MANAGER_NAME, scoped

MATCHED_IDS_MAX = 5000
# A text more customers than this contain is counted as "5000+" (_common_page): about where counting every match
# starts to cost more than the walk along the key (bench/customers.py).
SEARCH_COUNT_LIMIT = 5000
# The list without a search text counts up to this many customers ("5000+"): counting a million rows for the
# pager took 36 of the first page's 47 ms at 1M customers (bench/customers.py, scale 10).
COUNT_LIMIT = 5000
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
    condition no index answers, for a walk along the primary key that stops after a page (_one_word_page)."""
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


def search_ids(q, manager_id=None):
    """Ids of the customers whose number, name, or contacts' names and phones (customer.contact_text) contain q:
    one simple condition per part of a UNION (_word_conditions), so that each part can use its own index. With
    `manager_id` each part keeps to that manager's customers (a manager's search then starts from the manager index
    when the text is too short for trigrams)."""
    parts = [select(Customer.id).where(condition) for condition in _word_conditions(q)]
    if manager_id is not None:
        parts = [part.where(Customer.manager_id == manager_id) for part in parts]
    return union(*parts)


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
    if len(words) == 1:
        return _one_word_page(db, user, words[0], filters, page, per_page)
    q = _key_word(words) if words else ""
    if len(q) >= 3:
        # Found through the trigram indexes, the key word's matching ids come first when they are not too many:
        # PostgreSQL then fetches those customers by key and the other words narrow them, instead of guessing how
        # many match and scanning the customer table to join them. (Shorter texts are scanned for anyway; one
        # query is cheaper then.)
        matches = search_ids(q, _search_owner(user, filters.get("manager_id"))).subquery()
        ids = set(db.scalars(select(matches.c[0]).limit(MATCHED_IDS_MAX + 1)))
        if len(ids) <= MATCHED_IDS_MAX:
            filters = {**filters, "matched": _among(ids, db.get_bind().dialect.name)}
    if not any(value not in (None, "") for value in filters.values()):
        return _unfiltered_page(db, user, page, per_page)
    stmt = query_customers(user=user, **filters)
    if any((filters.get(k) or "").strip() for k in ("q", "no", "name")):
        return _paginate_in_one_pass(db, stmt, page, per_page)
    return paginate(db, stmt, page, per_page, count_limit=COUNT_LIMIT)


def _unfiltered_page(db, user, page, per_page):
    """The list as it opens (no filter): what paginate(count_limit=COUNT_LIMIT) gives, from two statements built
    once per user (app.common.statement_cache) with the limits as parameters, and prepared (app.db_prepared).
    Building and planning them cost more than running them."""
    count, rows = statement_cache.for_user("customer_list", user, _unfiltered_statements)
    cap = max(COUNT_LIMIT, page * per_page)
    total, exact, page = clamp(db.scalar(count, {"count_cap": cap + 1}), cap, page, per_page)
    items = db.scalars(rows, {"page_limit": per_page, "page_offset": (page - 1) * per_page}).all()
    return Page(items=items, total=total, page=page, per_page=per_page, total_exact=exact)


def _unfiltered_statements(user):
    stmt = query_customers(user=user)
    counted = stmt.order_by(None).limit(bindparam("count_cap")).subquery()
    count = select(func.count()).select_from(counted).execution_options(prepare=True)
    rows = stmt.limit(bindparam("page_limit")).offset(bindparam("page_offset")).execution_options(prepare=True)
    return count, rows


def _one_word_page(db, user, q, filters, page, per_page):
    """A one-word search: the ids matching each searched column (name, number, contact text) within every filter
    and the user's scope, each read through that column's own index in one statement (_ids_below); their union
    is the exact total, and only the page's customers are then read whole.

    Each match is read once, for the filters. (Looking the ids up first and then filtering and counting the
    customers by those ids read every match twice: 4,762 customers for a 3-character contact name at 1M.)

    A text more than SEARCH_COUNT_LIMIT customers contain in one column (公司, 有限公司, KH) is not counted:
    finding every match costs 0.2-0.3 s at 100,000 customers. The page is then read newest first along the primary
    key, testing each row, which finds a page of such common matches within a few dozen rows; it says "5000+" and
    Next stays open."""
    cap = max(SEARCH_COUNT_LIMIT, page * per_page)
    base = query_customers(user=user, **{k: v for k, v in filters.items() if k != "q"})
    found = set()
    for condition in _word_conditions(q):
        ids = _ids_below(db, base.whereclause & condition, cap + 1)
        if ids is None:  # more than cap: a common text
            items = db.scalars(base.where(_search_condition_unindexed(q))
                               .limit(per_page).offset((page - 1) * per_page)).unique().all()
            return Page(items=items, total=cap, page=page, per_page=per_page, total_exact=False)
        found.update(ids)
    newest_first = sorted(found, reverse=True)
    total = len(newest_first)
    page = min(page, max(1, -(-total // per_page)))  # past the end: the last page
    keys = newest_first[(page - 1) * per_page:page * per_page]
    items = db.scalars(select(Customer).where(Customer.id.in_(keys)).options(WITH_MANAGER_NAME)
                       .order_by(Customer.id.desc())).unique().all() if keys else []
    return Page(items=items, total=total, page=page, per_page=per_page)


def _word_conditions(q):
    """'The customer matches q', one condition per searched column (each has its own index)."""
    found = [_contains(Customer.name, q, chars_index=True)]
    if ASCII_WORD.match(q):
        found.append(_contains(Customer.no, q.upper(), chars_index=True))
    found.append(_contains(Customer.contact_text, q, chars_index=True))
    return found


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
    """The search's conditions as one OR on the customer row, answered by no index (_one_word_page's walk)."""
    found = [_contains(Customer.name, q, no_index=True), _contains(Customer.contact_text, q, no_index=True)]
    if ASCII_WORD.match(q):
        found.append(_contains(Customer.no, q.upper(), no_index=True))
    # The walk is only taken for a text known to be common, but PostgreSQL cannot know that: it estimates each
    # hidden LIKE at 0.5 % of the rows and would rather read all of a manager's customers and sort them (150 ms
    # at 1M customers) than walk the key until a page is found (2 ms). A CASE, which it cannot look into, is
    # estimated at 50 %: closer to the truth here, and it walks.
    return case((or_(*found), true()), else_=false())


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
