"""The composition report reads counts that triggers on `customer` keep (app/reports/composition.py). After random
creations, edits, transfers, losses and logical deletions through the services, and inserts, updates and physical
deletes in plain SQL, every composition (by level, credit and satisfaction; everyone's and each manager's) equals
the count over the customers themselves."""
import random
from datetime import datetime

from sqlalchemy import select, text

from app.customers import service as customer_service
from app.customers import transfer_service
from app.customers.models import Customer
from app.reports import composition, queries
from test_customers_support import ensure_dictionary

MODES = ("level", "credit", "satisfaction")


def _assert_kept_counts_equal_the_customers(db, scopes):
    for mode in MODES:
        for scope in scopes:
            kept = [tuple(r) for r in db.execute(queries.composition(mode=mode, scope_user_id=scope))]
            counted = [tuple(r) for r in db.execute(queries.composition_from_customers(mode=mode,
                                                                                       scope_user_id=scope))]
            assert kept == counted, (mode, scope)


def _rating(rng):
    return rng.choice((None, 1, 2, 3, 4, 5))


def test_the_kept_counts_equal_the_customers_after_random_writes(db, user):
    rng = random.Random(20261207)
    ensure_dictionary(db)
    admin, managers = user("admin"), [user("manager1").id, user("manager2").id]
    made = []
    for round_no in range(6):
        for i in range(8):
            made.append(customer_service.create_customer(
                db, name=f"构成客户{round_no}-{i}", manager_id=rng.choice(managers + [None]),
                level=rng.randint(1, 5), satisfaction=_rating(rng), credit=_rating(rng)))
        for customer in rng.sample(made, 6):
            if customer.status == "deleted":
                continue
            step = rng.choice(("edit", "transfer", "lost", "delete", "nothing"))
            if step == "edit":
                customer_service.update_customer(db, customer, user=admin, partial=True,
                                                 data={"level": str(rng.randint(1, 5)),
                                                       "credit": str(rng.randint(1, 5)),
                                                       "satisfaction": ""})
            elif step == "transfer":
                others = [m for m in managers if m != customer.manager_id]
                transfer_service.transfer_customer(db, customer, new_manager_id=rng.choice(others), user=admin)
            elif step == "lost":
                customer_service.mark_lost(customer)
            elif step == "delete":
                customer_service.delete_customer(db, customer, user=admin)
            db.flush()
        # Writes that no service sends: the counts follow them all the same.
        victim = rng.choice(made)
        db.execute(text("UPDATE customer SET level = :level, credit = NULL WHERE id = :id"),
                   {"level": rng.randint(1, 5), "id": victim.id})
        db.execute(text("INSERT INTO customer (no, name, manager_id, level, satisfaction, status, created_at) "
                        "VALUES (:no, '手工客户', :manager, 2, 4, 'normal', :at)"),
                   {"no": f"KHSQL{round_no}", "manager": managers[0], "at": datetime(2026, 1, 1)})
        db.expire_all()
        _assert_kept_counts_equal_the_customers(db, (None, *managers))
    gone = db.scalar(select(Customer.id).where(Customer.no == "KHSQL0"))
    db.execute(text("DELETE FROM customer WHERE id = :id"), {"id": gone})
    db.execute(text("UPDATE customer SET status = 'deleted' WHERE no = 'KHSQL1'"))
    _assert_kept_counts_equal_the_customers(db, (None, *managers))


def test_a_rebuild_gives_the_counts_the_triggers_keep(db, user):
    ensure_dictionary(db)
    manager = user("manager1").id
    for level in (1, 3, 3, 5):
        customer_service.create_customer(db, name=f"重算客户{level}", manager_id=manager, level=level, credit=2)
    db.flush()
    kept = [tuple(r) for r in db.execute(queries.composition(mode="level", scope_user_id=manager))]
    composition.rebuild(db)
    assert [tuple(r) for r in db.execute(queries.composition(mode="level", scope_user_id=manager))] == kept
    _assert_kept_counts_equal_the_customers(db, (None, manager))
