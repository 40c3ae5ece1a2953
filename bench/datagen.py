"""Large data volumes on PostgreSQL for the customer and churn benchmarks: set-based SQL (generate_series).

    .venv/bin/python bench/datagen.py [--db URL] [--scale 1.0] [--managers 50] [--rebuild]

At --scale 1: 100,000 customers (≈200,000 contacts, ≈100,000 interaction records) and 5,000,000 order lines in
≈1.25M orders over the last three years; --scale 0.1 is a tenth of that. The schema comes from the migrations,
users, rights, dictionary and the 50 products from the app's own seeds (auth, catalog), plus `--managers`
customer managers bench_mgr001… (password "demo", like manager1). Prints the time of every step.

Shape, for the churn scan: customers 0–87 % order all along (a few still fall silent by chance), 87–95 % stopped
ordering 6–36 months ago, the last 5 % never ordered; all became customers 3–6 years ago; 2 % are lost and 1 %
deleted. Orders favour the lower customer numbers (big customers), 1–7 lines each; totals are stored, and so are
what the order hook keeps (the reports' sums per customer and year, each customer's last order date).

Data is kept between runs (a second run with data present does nothing); --rebuild drops everything first.
Other benchmarks call generate(url, scale=...) and get the row counts back.
"""
import argparse
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

DEFAULT_DB = "postgresql://root@127.0.0.1:5432/crm_bench"
CUSTOMERS_AT_1 = 100_000
LINES_AT_1 = 5_000_000
AVG_LINES = 4  # 1 + order % 7

CITIES = ["北京", "天津", "石家庄", "太原", "沈阳", "大连", "哈尔滨", "长春", "武汉", "长沙", "郑州", "成都", "重庆",
          "西安", "昆明", "上海", "南京", "杭州", "济南", "广州", "深圳", "厦门"]
REGIONS = ["北京", "华北", "华北", "华北", "东北", "东北", "东北", "东北", "中南", "中南", "中南", "西部", "西部",
           "西部", "西部", "华东", "华东", "华东", "华东", "华南", "华南", "华南"]  # the region of each city
WORDS = ["华信", "东方", "宏达", "恒通", "鑫源", "金桥", "天诚", "博远", "瑞丰", "海川", "联创", "新锐", "远景", "明德",
         "盛世", "永信", "安泰", "康达", "中鼎", "华宇", "荣达", "嘉禾", "同辉", "凯瑞", "九州", "广源", "世纪", "蓝天",
         "华泰", "正信", "星河", "启明", "致远", "汇智", "锦程", "万象", "恒源", "晨光", "方圆", "信达"]
TRADES = ["科技", "电子", "贸易", "机械", "信息技术", "医药", "建设", "物流", "能源", "化工", "食品", "软件", "通信",
          "实业", "环保", "传媒"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹")
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "建华", "晓东", "志强", "海燕", "文博", "雪梅", "立新"]
POSITIONS = ["总经理", "采购经理", "财务总监", "技术主管", "行政主管", "办公室主任"]




class Timer:
    def __init__(self, quiet=False):
        self.quiet, self.steps = quiet, []

    @contextmanager
    def step(self, label):
        t0 = time.perf_counter()
        if not self.quiet:
            print(f"  {label:52}", end="", flush=True)
        yield
        elapsed = time.perf_counter() - t0
        self.steps.append((label, elapsed))
        if not self.quiet:
            print(f"{elapsed:8.1f} s", flush=True)


def _schema(url, rebuild, timer):
    from app.cli import upgrade_database
    from app.db import drop_all, ensure_database, make_engine
    from app.models import load_all_models
    ensure_database(url)
    engine = make_engine(url)
    if rebuild:
        with timer.step("drop everything"):
            load_all_models()
            drop_all(engine)
            with engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    with timer.step("migrations"):
        upgrade_database(url)
    return engine


def _base_seeds(url, managers, timer):
    """Users, rights, dictionary and products through the app's seeds; more managers copied from manager1."""
    from app import create_app
    from app.auth import seed as auth_seed
    from app.catalog import seed as catalog_seed
    from app.db import db_session
    app = create_app({"DATABASE_URL": url, "DEPLOY_MODELS_AT_START": False, "SECRET_KEY": "bench"})
    with timer.step(f"users, dictionary, products, {managers} managers"), app.app_context():
        auth_seed.seed_demo(db_session)
        catalog_seed.seed_demo(db_session)
        db_session.execute(text("""
            INSERT INTO user_account (username, name, password_hash, role_id, active, failed_logins, created_at)
            SELECT 'bench_mgr' || lpad(i::text, 3, '0'), '经理' || i, u.password_hash, u.role_id, true, 0, now()
            FROM generate_series(1, :n) AS i, user_account u WHERE u.username = 'manager1'
            ON CONFLICT DO NOTHING"""), {"n": max(0, managers - 2)})
        db_session.commit()
        db_session.remove()


def _fast_load(conn):
    """Settings for this load's transaction. Generated rows are consistent by construction, so a superuser skips
    the per-row foreign-key triggers. Returns whether it could."""
    superuser = conn.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
    conn.execute(text("SET LOCAL synchronous_commit = off"))
    conn.execute(text("SET LOCAL work_mem = '256MB'"))
    # generate_series(1, 1 + o % 7) is estimated at 1000 rows, so the planner thinks every statement is huge and
    # spends seconds JIT-compiling it; plain execution is faster here.
    conn.execute(text("SET LOCAL jit = off"))
    conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
    if superuser:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
    return bool(superuser)


@contextmanager
def _indexes_dropped(conn, tables, timer):
    """Bulk inserts run faster into bare tables: drop the secondary indexes (primary keys stay), rebuild after."""
    rows = conn.execute(text("""
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"""),
        {"tables": list(tables)}).all()
    for name, _definition in rows:
        conn.execute(text(f'DROP INDEX "{name}"'))
    yield
    with timer.step(f"rebuild {len(rows)} indexes of {', '.join(tables)}"):
        for _name, definition in rows:
            conn.execute(text(definition))


def _customers(conn, n, timer):
    with timer.step(f"{n:,} customers"):
        conn.execute(text("""
            INSERT INTO customer (no, name, region, manager_id, level, satisfaction, credit, address, postcode, phone,
                                  fax, website, legal_rep, registered_capital, turnover, bank, bank_account, status,
                                  created_at)
            SELECT 'KH' || to_char(d, 'YYMMDD') || lpad((i / 1096 + 1)::text, 4, '0'),
                   ci.city || (CAST(:words AS text[]))[1 + (i / 22) % 40] || (CAST(:trades AS text[]))[1 + (i / 880) % 16]
                     || '有限公司' || CASE WHEN i >= 14080 THEN '第' || (i / 14080) || '分公司' ELSE '' END,
                   ci.region, m.ids[1 + i % array_length(m.ids, 1)],
                   CASE WHEN h < 45 THEN 1 WHEN h < 70 THEN 2 WHEN h < 85 THEN 3 WHEN h < 95 THEN 4 ELSE 5 END,
                   1 + (i * 7) % 5, 1 + (i * 3) % 5,
                   ci.city || '市' || (CAST(:streets AS text[]))[1 + i % 6] || (i % 300 + 1) || '号',
                   lpad((100000 + (i * 37) % 800000)::text, 6, '0'), '0' || (10 + i % 89) || '-' || (20000000 + i),
                   NULL, 'www.kh' || i || '.com.cn', (CAST(:surnames AS text[]))[1 + i % 30] || '总',
                   50 + (i * 131) % 9950, 100 + (i * 977) % 99900, '中国工商银行' || ci.city || '分行',
                   '6222' || lpad(i::text, 15, '0'),
                   CASE WHEN i % 50 = 7 THEN 'lost' WHEN i % 100 = 13 THEN 'deleted' ELSE 'normal' END,
                   d + make_interval(hours => 1 + i % 9)
            FROM (SELECT i, (i::bigint * 7919) % 100 AS h, current_date - 1095 - i % 1096 AS d
                  FROM generate_series(0, CAST(:n AS int) - 1) AS i) s
            CROSS JOIN LATERAL (SELECT (CAST(:cities AS text[]))[1 + s.i % 22] AS city,
                                       (CAST(:regions AS text[]))[1 + s.i % 22] AS region) ci,
                 (SELECT array_agg(u.id ORDER BY u.id) AS ids FROM user_account u JOIN role r ON r.id = u.role_id
                  WHERE r.code = 'customer_manager') m"""),
            {"n": n, "cities": CITIES, "regions": REGIONS, "words": WORDS, "trades": TRADES, "surnames": SURNAMES,
             "streets": ["中山路", "人民路", "建设大道", "解放路", "科技园路", "长江路"]})


def _contacts_and_activities(conn, timer):
    with timer.step("contacts (1–3 per customer)"):
        conn.execute(text("""
            INSERT INTO contact (customer_id, name, sex, position, office_phone, mobile, memo)
            SELECT c.id, (CAST(:surnames AS text[]))[1 + (c.id * 7 + k) % 30]
                           || (CAST(:given AS text[]))[1 + (c.id + k * 3) % 28],
                   CASE WHEN (c.id + k) % 2 = 0 THEN '男' ELSE '女' END,
                   (CAST(:positions AS text[]))[1 + (c.id + k) % 6], c.phone,
                   '13' || lpad(((c.id::bigint * 7919 + k * 104729) % 1000000000)::text, 9, '0'),
                   CASE WHEN k = 0 THEN '主要联系人' END
            FROM customer c CROSS JOIN LATERAL generate_series(0, c.id % 3) AS k"""),
            {"surnames": SURNAMES, "given": GIVEN, "positions": POSITIONS})
    with timer.step("contacts' search text on the customers"):
        from app.customers import contact_text
        contact_text.refresh(conn)  # the bulk insert bypasses the contact events that keep it
    with timer.step("interaction records (0–2 per customer)"):
        conn.execute(text("""
            INSERT INTO activity (customer_id, date, place, summary, details)
            SELECT c.id, current_date - (c.id * 17 + k * 101) % 1000, '客户公司', '拜访' || (k + 1), '详细记录'
            FROM customer c CROSS JOIN LATERAL generate_series(1, (c.id * 5) % 3) AS k"""))


_LINE = """
    FROM generate_series(1, 1 + o % 7) AS l
    CROSS JOIN LATERAL (SELECT 1 + ((o * 31 + l * 17) % p.n) AS idx, 1 + ((o * 13 + l * 7) % 20) AS qty) x"""


def _orders(conn, n_orders, timer):
    """Order o (1..n) belongs to a customer drawn with a skew towards low numbers; ids are base + o so the lines
    and the stored total are computed from o alone, without reading the orders back."""
    params = {"n": n_orders}
    with timer.step(f"{n_orders:,} orders with totals"):
        conn.execute(text(f"""
            WITH p AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(unit_price ORDER BY id) AS prices,
                              array_agg(unit ORDER BY id) AS units, count(*)::int AS n FROM product),
                 c AS (SELECT min(id) AS min_id, count(*) AS n FROM customer),
                 b AS (SELECT coalesce(max(id), 0) AS base FROM customer_order)
            INSERT INTO customer_order (id, order_no, customer_id, order_date, address, status, total, imported_at)
            SELECT b.base + o, 'BN' || lpad((b.base + o)::text, 10, '0'), c.min_id + k.idx, k.day,
                   '送货地址' || (o % 1000), CASE WHEN k.day < current_date - 90 AND o % 20 <> 0 THEN 'paid'
                                               ELSE 'unpaid' END,
                   (SELECT sum(x.qty * p.prices[x.idx]) {_LINE}), k.day + time '10:00'
            FROM generate_series(1, CAST(:n AS bigint)) AS o, p, c, b
            CROSS JOIN LATERAL (
                SELECT idx, CASE WHEN idx >= c.n * 0.87::float8 THEN current_date - 190 - ((o * 48271) % 900)::int
                                 ELSE current_date - ((o * 48271) % 1095)::int END AS day
                FROM (SELECT floor(c.n * 0.95::float8 * power(((o * 2654435761) % 1000003) / 1000003.0::float8, 1.5))::int
                      AS idx) i
            ) k"""), params)
    with timer.step(f"≈{n_orders * AVG_LINES:,} order lines"):
        conn.execute(text(f"""
            WITH p AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(unit_price ORDER BY id) AS prices,
                              array_agg(unit ORDER BY id) AS units, count(*)::int AS n FROM product),
                 b AS (SELECT max(id) - :n AS base FROM customer_order)
            INSERT INTO order_line (order_id, product_id, quantity, unit, unit_price)
            SELECT b.base + o, p.ids[ln.idx], ln.qty, p.units[ln.idx], p.prices[ln.idx]
            FROM generate_series(1, CAST(:n AS bigint)) AS o, p, b
            CROSS JOIN LATERAL (SELECT x.idx, x.qty {_LINE}) ln"""), params)
        conn.execute(text("SELECT setval(pg_get_serial_sequence('customer_order', 'id'), "
                          "(SELECT max(id) FROM customer_order))"))


def _order_figures(conn, timer):
    """What the order hook keeps in service, recomputed by the app's own functions: the reports' per customer and
    year sums (customer_sales), every customer's last order date (the churn scan's candidates) and the composition
    report's counts."""
    from app.customers import last_order
    from app.reports import composition, sales_totals
    with timer.step("sales per customer and year, last order dates, composition counts"):
        sales_totals.rebuild(conn)
        last_order.refresh(conn)
        composition.rebuild(conn)  # the customer triggers were skipped (session_replication_role)


def generate(url, *, scale=1.0, managers=50, rebuild=False, quiet=False):
    """Fill the database at `url` (created if missing) and return {table: rows}. Nothing is generated when
    customers are present, unless rebuild."""
    timer = Timer(quiet)
    engine = _schema(url, rebuild, timer)
    with engine.connect() as conn:
        present = conn.scalar(text("SELECT count(*) FROM customer"))
    if present:
        if not quiet:
            print(f"  data present ({present:,} customers): nothing generated; --rebuild starts over")
    else:
        _base_seeds(url, managers, timer)
        t0 = time.perf_counter()
        n_customers = max(1, round(CUSTOMERS_AT_1 * scale))
        n_orders = max(1, round(LINES_AT_1 * scale / AVG_LINES))
        with engine.connect() as conn, conn.begin():
            skipped_fk = _fast_load(conn)
            _customers(conn, n_customers, timer)
            _contacts_and_activities(conn, timer)
            with _indexes_dropped(conn, ("customer_order", "order_line"), timer):
                _orders(conn, n_orders, timer)
            _order_figures(conn, timer)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn, timer.step("VACUUM ANALYZE"):
            conn.execute(text("VACUUM ANALYZE"))
        if not quiet:
            print(f"  {'generated in':52}{time.perf_counter() - t0:8.1f} s"
                  + ("" if skipped_fk else "  (foreign keys checked row by row: not a superuser)"))
    with engine.connect() as conn:
        counts = {t: conn.scalar(text(f"SELECT count(*) FROM {t}"))
                  for t in ("customer", "contact", "activity", "customer_order", "order_line", "user_account")}
    engine.dispose()
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    ap.add_argument("--scale", type=float, default=1.0, help="1 = 100k customers, 5M order lines")
    ap.add_argument("--managers", type=int, default=50, help="customer managers holding the customers")
    ap.add_argument("--rebuild", action="store_true", help="drop all tables and start over")
    args = ap.parse_args()
    if not args.db.startswith("postgresql"):
        sys.exit("datagen runs on PostgreSQL (set-based SQL)")
    if args.scale <= 0:
        sys.exit("--scale must be positive")
    print(f"datagen: {args.db}, scale {args.scale}")
    counts = generate(args.db, scale=args.scale, managers=args.managers, rebuild=args.rebuild)
    print("rows:", ", ".join(f"{k} {v:,}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
