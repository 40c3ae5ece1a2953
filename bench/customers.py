"""Customer list, search and customer page times at scale (SPEC §6), on PostgreSQL.

    .venv/bin/python bench/customers.py [--db postgresql://root@127.0.0.1:5432/crm_bench_customers]
                                        [--customers 100000] [--lines 5000000] [--runs 30] [--rebuild]

Builds the schema with the migrations, fills it once (kept between runs; --rebuild starts over) and prints the
median and 95th percentile of each request, served by the real app (routing, rights, SQL, templates) through
Flask's test client, so network time is not included. Target: median ≤ 50 ms.

The data generator is plain SQL (generate_series) so 5M order lines load in a minute or two. It is meant to be
replaced by the shared bench/datagen.py once that exists.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

DEFAULT_DB = "postgresql://root@127.0.0.1:5432/crm_bench_customers"
MANAGERS = 50
ORDERS_PER_CUSTOMER = 10

CITIES = "北京 上海 广州 深圳 杭州 南京 成都 重庆 武汉 西安 天津 苏州 长沙 郑州 青岛 沈阳 大连 厦门 宁波 合肥".split()
WORDS = ("远望 星河 华信 鼎盛 恒通 金桥 瑞丰 天成 宏达 新元 博远 安泰 联创 永兴 中科 海纳 启明 正大 盛世 东方 "
         "润泽 凯旋 同创 嘉禾 百川 华夏 明德 长虹 蓝天 晨光 方圆 致远 卓越 信达 汇丰 锦程 万象 恒源 天诚 美达 "
         "富源 隆盛 顺发 佳业 华美 精工 汇智 新世纪 开元 宏图").split()
TRADES = "科技 贸易 电子 物流 实业 信息 机械 建设 医药 食品 化工 传媒 能源 设备 软件 咨询 制造 商贸 投资 工程".split()
SURNAMES = "王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 胡 朱 高 林 何 郭 马 罗 欧阳 司马 诸葛 上官".split()
GIVEN = "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 华 建国 志强 晓东 海燕 文博".split()
REGIONS = ["北京", "华北", "中南", "东北", "西部", "华东", "华南"]


def sql_array(words):
    return "ARRAY[" + ",".join(f"'{w}'" for w in words) + "]"


def ensure_database(url):
    u = make_url(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database}):
            conn.execute(text(f'CREATE DATABASE "{u.database}"'))
    admin.dispose()


def build(url, customers, lines, rebuild):
    from app.cli import upgrade_database
    from app.db import drop_all, make_engine
    from app.models import load_all_models
    ensure_database(url)
    engine = make_engine(url)
    if rebuild:
        load_all_models()
        drop_all(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade_database(url)
    with engine.connect() as conn:
        have = conn.scalar(text("SELECT count(*) FROM customer"))
        drift = _schema_drift(conn)
    if have and drift:
        sys.exit(f"the bench database predates the current models ({drift[:3]}…): run with --rebuild")
    if have >= customers:
        print(f"data present: {have} customers (use --rebuild to regenerate)")
        return engine
    if have:
        sys.exit(f"{have} customers present, fewer than {customers}: run with --rebuild")
    _seed_base(url)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        _generate(conn, customers, lines)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"generated in {time.perf_counter() - t0:.0f} s")
    return engine


def _schema_drift(conn):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from app.db import ALL_METADATA
    return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), ALL_METADATA)


def _seed_base(url):
    """Demo users, rights and dictionary through the app's own seeds, plus more customer managers."""
    from app import create_app
    from app.cli import run_seeds
    from app.db import db_session
    app = create_app({"DATABASE_URL": url, "DEPLOY_MODELS_AT_START": False})
    with app.app_context():
        run_seeds(db_session)
        db_session.execute(text("""
            INSERT INTO dictionary_entry (type, item, value, editable)
            SELECT '客户等级', l[1], l[2], false
            FROM (VALUES (ARRAY['普通客户', '1']), (ARRAY['重点开发客户', '2']), (ARRAY['大客户', '3']),
                         (ARRAY['合作伙伴', '4']), (ARRAY['战略合作伙伴', '5'])) AS v(l)
            ON CONFLICT DO NOTHING"""))
        db_session.execute(text("""
            INSERT INTO dictionary_entry (type, item, value, editable)
            SELECT '地区', r, r, true FROM unnest(CAST(:regions AS text[])) AS r
            ON CONFLICT DO NOTHING"""), {"regions": REGIONS})
        db_session.execute(text(f"""
            INSERT INTO user_account (username, name, password_hash, role_id, active, failed_logins, created_at)
            SELECT 'bench_mgr' || i, '经理' || i, u.password_hash, u.role_id, true, 0, now()
            FROM generate_series(3, {MANAGERS}) AS i, user_account u WHERE u.username = 'manager1'
            ON CONFLICT DO NOTHING"""))
        db_session.commit()


def _generate(conn, customers, lines):
    orders = customers * ORDERS_PER_CUSTOMER
    per_order = max(1, lines // orders)
    step = lambda label: print(f"  {label} …", flush=True)  # noqa: E731
    step(f"{customers} customers")
    conn.execute(text(f"""
        INSERT INTO customer (no, name, region, manager_id, level, satisfaction, credit, address, postcode, phone,
                              status, created_at)
        SELECT 'KH' || to_char(DATE '2015-01-01' + i / 40, 'YYMMDD') || lpad((i % 40 + 1)::text, 3, '0'),
               ({sql_array(CITIES)})[1 + i % 20] || ({sql_array(WORDS)})[1 + (i / 20) % 50]
                 || ({sql_array(TRADES)})[1 + (i / 1000) % 20] || '有限公司'
                 || CASE WHEN i >= 20000 THEN '第' || (i / 20000) || '分公司' ELSE '' END,
               ({sql_array(REGIONS)})[1 + i % 7],
               m.ids[1 + i % array_length(m.ids, 1)],
               1 + (i * 7) % 5, 1 + i % 5, 1 + (i * 3) % 5, '某某路' || (i % 999 + 1) || '号',
               lpad((100000 + i % 800000)::text, 6, '0'), '010-' || lpad((i * 37 % 100000000)::text, 8, '0'),
               CASE WHEN i % 50 = 0 THEN 'lost' WHEN i % 97 = 0 THEN 'deleted' ELSE 'normal' END,
               TIMESTAMP '2015-01-01' + (i / 40) * INTERVAL '1 day'
        FROM generate_series(0, {customers - 1}) AS i,
             (SELECT array_agg(u.id ORDER BY u.id) AS ids FROM user_account u JOIN role r ON r.id = u.role_id
              WHERE r.code = 'customer_manager') AS m"""))
    step("contacts (1.5 per customer)")
    conn.execute(text(f"""
        INSERT INTO contact (customer_id, name, sex, position, office_phone, mobile)
        SELECT c.id, ({sql_array(SURNAMES)})[1 + (c.id * 7 + k) % 24]
                     || ({sql_array(GIVEN)})[1 + (c.id * 5 + k * 3) % 28],
               CASE WHEN (c.id + k) % 2 = 0 THEN 'M' ELSE 'F' END, '经理',
               '010-' || lpad(((c.id * 13 + k) % 100000000)::text, 8, '0'),
               '13' || lpad(((c.id * 7919 + k * 104729) % 1000000000)::text, 9, '0')
        FROM customer c, generate_series(0, 1) AS k WHERE k = 0 OR c.id % 2 = 0"""))
    step("interaction records (2 per customer)")
    conn.execute(text("""
        INSERT INTO activity (customer_id, date, place, summary, details)
        SELECT c.id, DATE '2020-01-01' + (c.id * 17 + k * 101) % 1800, '客户公司', '拜访 ' || k, '详细记录'
        FROM customer c, generate_series(0, 1) AS k"""))
    step("200 products")
    conn.execute(text("""
        INSERT INTO product (name, model, batch, unit, unit_price)
        SELECT '产品' || i, 'M-' || i, 'B' || (i % 7), '台', 10 + (i * 37) % 5000
        FROM generate_series(1, 200) AS i"""))
    step(f"{orders} orders")
    conn.execute(text(f"""
        INSERT INTO customer_order (order_no, customer_id, order_date, address, status, total, imported_at)
        SELECT 'SO' || lpad(i::text, 9, '0'), c.min_id + i % {customers},
               DATE '2016-01-01' + (i * 37) % 3400, '送货地址' || i % 1000,
               CASE WHEN i % 3 = 0 THEN 'unpaid' ELSE 'paid' END, 0, now()
        FROM generate_series(0, {orders - 1}) AS i, (SELECT min(id) AS min_id FROM customer) AS c"""))
    step(f"{orders * per_order} order lines")
    conn.execute(text(f"""
        INSERT INTO order_line (order_id, product_id, quantity, unit, unit_price)
        SELECT o.id, p.min_id + (o.id * 7 + k * 13) % 200, 1 + (o.id + k) % 20, '台', 10 + (o.id * 31 + k) % 5000
        FROM customer_order o, generate_series(1, {per_order}) AS k, (SELECT min(id) AS min_id FROM product) AS p"""))
    conn.execute(text("""
        UPDATE customer_order o SET total = s.total
        FROM (SELECT order_id, sum(quantity * unit_price) AS total FROM order_line GROUP BY order_id) s
        WHERE s.order_id = o.id"""))
    step("won opportunities, their finished instances and inbox rows; open churn cases with an open task")
    conn.execute(text("""
        INSERT INTO process_definition (key, version, content_hash, bpmn_xml, forms, deployed_at)
        SELECT k, 1, md5(k), '<definitions/>', '{}', now()
        FROM unnest(ARRAY['sales_opportunity', 'customer_churn', 'customer_service']) AS k
        ON CONFLICT DO NOTHING"""))
    conn.execute(text("""
        INSERT INTO opportunity (customer_name, probability, summary, description, created_by, created_at,
                                 assignee_id, assigned_at, status, closed_at, customer_id)
        SELECT c.name, 80, '首单', '需求明确', c.manager_id, c.created_at, c.manager_id, c.created_at, 'succeeded',
               c.created_at, c.id
        FROM customer c"""))
    conn.execute(text("""
        INSERT INTO churn_case (customer_id, manager_id, last_order_date, status, created_at)
        SELECT c.id, c.manager_id, DATE '2024-01-01', 'warning', now() FROM customer c WHERE c.id % 10 = 0"""))
    conn.execute(text("""
        INSERT INTO process_instance (definition_id, definition_key, business_key, subject, status, state,
                                      lock_version, started_at, ended_at)
        SELECT d.id, d.key, o.id::text, o.customer_name, 'completed', CAST('{}' AS json), 0, o.created_at, o.closed_at
        FROM opportunity o, process_definition d WHERE d.key = 'sales_opportunity'
        UNION ALL
        SELECT d.id, d.key, cc.id::text, '流失预警', 'running', CAST('{}' AS json), 0, cc.created_at, NULL
        FROM churn_case cc, process_definition d WHERE d.key = 'customer_churn'"""))
    conn.execute(text("""
        INSERT INTO human_task (instance_id, task_uuid, process_key, business_key, subject, bpmn_id, name, role,
                                assignee_id, created_at, completed_at, completed_by)
        SELECT pi.id, md5(pi.id::text || k), pi.definition_key, pi.business_key, pi.subject,
               CASE WHEN pi.definition_key = 'customer_churn' THEN 'handle_warning' ELSE 'step' || k END,
               CASE WHEN pi.definition_key = 'customer_churn' THEN '处理流失预警' ELSE '步骤' || k END,
               'customer_manager', NULL, pi.started_at,
               CASE WHEN pi.status = 'running' THEN NULL ELSE pi.started_at + INTERVAL '1 day' END, NULL
        FROM process_instance pi, generate_series(1, 2) AS k
        WHERE pi.definition_key = 'sales_opportunity' OR k = 1"""))


SCENARIOS = [
    # (label, user, path) — {no} is replaced by a customer of that user, different on each run
    ("baseline: task inbox (not customers)", "admin", "/inbox/"),
    ("list, admin, first page", "admin", "/customers/"),
    ("list, manager's own", "manager1", "/customers/"),
    ("list, filters region+level", "admin", "/customers/?region=华北&level=3"),
    ("list, manager filter", "admin", "/customers/?manager_id={manager2}"),
    ("list, page 100", "admin", "/customers/?page=100"),
    ("search, name 2 chars", "admin", "/customers/?q=星河"),
    ("search, name 6 chars", "admin", "/customers/?q=杭州星河科技"),
    ("search, customer no.", "admin", "/customers/?q=KH150301"),
    ("search, contact name", "admin", "/customers/?q=欧阳志强"),
    ("search, contact 2 chars", "admin", "/customers/?q=欧阳"),
    ("search, contact mobile", "admin", "/customers/?q=1300079"),
    ("search, manager, name", "manager1", "/customers/?q=远望"),
    ("search, no match", "admin", "/customers/?q=不存在的公司"),
    ("customer page", "admin", "/customers/{no}"),
    ("customer page, manager", "manager1", "/customers/{own_no}"),
    ("order history page", "admin", "/customers/{no}/orders"),
    ("API list", "api:supervisor", "/api/v1/customers"),
    ("API search", "api:supervisor", "/api/v1/customers?q=星河"),
    ("API customer", "api:supervisor", "/api/v1/customers/{no}"),
]


def measure(url, runs, only=None):
    import random
    from app import create_app
    app = create_app({"DATABASE_URL": url, "DEPLOY_MODELS_AT_START": False, "WTF_CSRF_ENABLED": False,
                      "TESTING": True, "SESSION_IDLE_MINUTES": 600})
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT username, id FROM user_account")).all())
        nos = [r[0] for r in conn.execute(text(
            "SELECT no FROM customer WHERE status <> 'deleted' ORDER BY random() LIMIT :n"), {"n": runs * 4})]
        own = [r[0] for r in conn.execute(text(
            "SELECT no FROM customer WHERE status <> 'deleted' AND manager_id = :m ORDER BY random() LIMIT :n"),
            {"m": ids["manager1"], "n": runs * 4})]
    clients = {}
    rng = random.Random(7)

    def client(username):
        """A signed-in client; one per user, since a user has one live session (web or API)."""
        if username not in clients:
            c = app.test_client()
            if username.startswith("api:"):
                resp = c.post("/api/v1/auth/login", json={"username": username[4:], "password": "demo"})
                clients[username] = (c, {"Authorization": "Bearer " + resp.get_json()["token"]})
            else:
                assert c.post("/login", data={"username": username, "password": "demo"}).status_code == 302
                clients[username] = (c, {})
        return clients[username]

    print(f"{'scenario':34} {'median ms':>10} {'p95 ms':>8}  rows")
    for label, username, path in SCENARIOS:
        if only and only not in label:
            continue
        c, headers = client(username)
        times = []
        for i in range(runs + 3):
            p = path.format(no=rng.choice(nos), own_no=rng.choice(own), manager2=ids["manager2"])
            t0 = time.perf_counter()
            resp = c.get(p, headers=headers)
            elapsed = (time.perf_counter() - t0) * 1000
            assert resp.status_code == 200, (p, resp.status_code, resp.get_data(as_text=True)[:300])
            if i >= 3:  # the first requests warm caches and compile templates
                times.append(elapsed)
        total = _total(resp)
        p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
        print(f"{label:34} {statistics.median(times):10.1f} {p95:8.1f}  {total}", flush=True)


def _total(resp):
    if resp.is_json:
        return resp.get_json().get("total", "")
    import re
    m = re.search(r"共 (\d+) 条", resp.get_data(as_text=True))
    return m.group(1) if m else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--lines", type=int, default=5_000_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--only", help="run the scenarios whose label contains this text")
    args = ap.parse_args()
    if not args.db.startswith("postgresql"):
        sys.exit("this benchmark runs on PostgreSQL")
    engine = build(args.db, args.customers, args.lines, args.rebuild)
    with engine.connect() as conn:
        counts = {t: conn.scalar(text(f"SELECT count(*) FROM {t}"))
                  for t in ("customer", "contact", "customer_order", "order_line", "process_instance")}
    print("rows:", ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    measure(args.db, args.runs, args.only)


if __name__ == "__main__":
    main()
