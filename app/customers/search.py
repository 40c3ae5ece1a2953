"""The customer list: filters, the one search box, and its pagination.

On PostgreSQL every 'contains' condition is served by a trigram index (models.search_index); a query is split
into one simple condition per column (a UNION) so that each part can use its own index."""
import re

from sqlalchemy import func, select, union

from app.auth.guard import sees_all
from app.common.listing import Page, paginate
from app.customers.models import Contact, Customer
from app.customers.service import VISIBLE_STATUSES, WITH_MANAGER_NAME, scoped

MATCHED_IDS_MAX = 5000
PHONE_LIKE = re.compile(r"^[0-9+()\- ]+$")
ASCII_WORD = re.compile(r"^[A-Za-z0-9\-]+$")


def _contains(column, text):
    """column contains text, case-insensitive only when the text has letters with a case (ILIKE costs more)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    if len(text) < 3:
        # Too short for a trigram: the index would be read whole. Hide the column from it (an expression does
        # not match the index) so PostgreSQL narrows by another index (e.g. the manager's) or scans the table.
        column = column + ""
    if text.lower() != text.upper():
        return column.ilike(pattern, escape="\\")
    return column.like(pattern, escape="\\")


def search_ids(q, manager_id=None):
    """Ids of the customers whose number, name, contact name or contact phone contains q.

    Only the columns the text can occur in are searched: digits are looked up in numbers, names and phones,
    words in names (and in numbers when they are plain ASCII, e.g. 'KH2503'). One simple condition per part of a
    UNION, so that each part can use its own trigram index. With `manager_id` each part keeps to that manager's
    customers (a manager's search then starts from the manager index when the text is too short for trigrams)."""
    def customers(condition):
        stmt = select(Customer.id).where(condition)
        return stmt.where(Customer.manager_id == manager_id) if manager_id is not None else stmt

    def contacts(condition):
        stmt = select(Contact.customer_id).where(condition)
        if manager_id is not None:
            stmt = stmt.join(Customer, Customer.id == Contact.customer_id).where(Customer.manager_id == manager_id)
        return stmt

    parts = [customers(_contains(Customer.name, q))]
    if ASCII_WORD.match(q):
        parts.append(customers(_contains(Customer.no, q.upper())))
    if PHONE_LIKE.match(q):
        parts += [contacts(_contains(Contact.mobile, q)), contacts(_contains(Contact.office_phone, q))]
    else:
        parts.append(contacts(_contains(Contact.name, q)))
    return union(*parts)


def _search_owner(user, manager_id):
    """Whose customers a search reads: the user's own without data.all, else the manager filter (or everybody)."""
    return manager_id if sees_all(user) else user.id


def query_customers(*, user, q=None, no=None, name=None, region=None, manager_id=None, level=None, status=None,
                    matched_ids=None):
    """The list statement (newest first) for these filters, within what `user` may see. `matched_ids`, when
    given, are the ids the search text `q` was already found to match."""
    stmt = select(Customer).options(WITH_MANAGER_NAME)
    stmt = stmt.where(Customer.status == status) if status in VISIBLE_STATUSES \
        else stmt.where(Customer.status.in_(VISIBLE_STATUSES))
    if matched_ids is not None:
        stmt = stmt.where(Customer.id.in_(matched_ids))
    elif q and q.strip():
        stmt = stmt.where(Customer.id.in_(search_ids(q.strip(), _search_owner(user, manager_id))))
    if no and no.strip():
        stmt = stmt.where(_contains(Customer.no, no.strip().upper()))
    if name and name.strip():
        stmt = stmt.where(_contains(Customer.name, name.strip()))
    if region:
        stmt = stmt.where(Customer.region == region)
    if manager_id is not None:
        stmt = stmt.where(Customer.manager_id == manager_id)
    if level is not None:
        stmt = stmt.where(Customer.level == level)
    return scoped(stmt, user).order_by(Customer.id.desc())


def find_customers(db, *, user, page=1, per_page=20, **filters) -> Page:
    """One page of the list. A text search counts and pages in one pass: its matches are found by scanning
    indexes that cannot also give the order, so running it twice (count, then page) would double the cost."""
    q = (filters.get("q") or "").strip()
    if len(q) >= 3:
        # Found through the trigram indexes, the matching ids come first when they are not too many: PostgreSQL
        # then fetches those customers by key instead of guessing how many match and scanning the customer table
        # to join them. (Shorter texts are scanned for anyway; one query is cheaper then.)
        matches = search_ids(q, _search_owner(user, filters.get("manager_id"))).subquery()
        ids = list(db.scalars(select(matches.c[0]).limit(MATCHED_IDS_MAX + 1)))
        if len(ids) <= MATCHED_IDS_MAX:
            filters = {**filters, "matched_ids": ids}
    stmt = query_customers(user=user, **filters)
    if any((filters.get(k) or "").strip() for k in ("q", "no", "name")):
        return _paginate_in_one_pass(db, stmt, page, per_page)
    return paginate(db, stmt, page, per_page)


def _paginate_in_one_pass(db, stmt, page, per_page):
    # Ordering by an expression rather than the key keeps PostgreSQL from walking the whole primary-key index
    # backwards to merge it with the (few) matches: it fetches the matches by key and sorts them instead.
    stmt = stmt.order_by(None).order_by((Customer.id + 0).desc())
    rows = db.execute(stmt.add_columns(func.count().over().label("total"))
                      .limit(per_page).offset((page - 1) * per_page)).all()
    if rows:
        return Page(items=[r[0] for r in rows], total=rows[0].total, page=page, per_page=per_page)
    if page == 1:
        return Page(items=[], total=0, page=1, per_page=per_page)
    return paginate(db, stmt, page, per_page)  # past the end: paginate clamps to the last page


