"""Demo customers with contacts, interaction records and three years of orders.

~200 customers (numbers KH + yyMMdd + sequence, managed by manager1/manager2), 1–3 contacts each, ~5,000 orders.
Some customers have been silent for more than six months (the churn scan finds them), a few never ordered.
Deterministic (random.Random(42), dates relative to today), idempotent (nothing happens when any customer
exists), fast: the rows are planned in memory and bulk-inserted, and no order hook runs.
"""
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import exists, insert, select

from app.auth.models import User
from app.catalog.models import Order, OrderLine, Product
from app.customers import contact_text, last_order
from app.customers.models import Activity, Contact, Customer
from processes.clock import utcnow

N_CUSTOMERS = 200
N_ORDERS = 5000
N_SILENT = 16      # last order 7–30 months ago
N_NEVER = 6        # no order at all; half of them became customers more than six months ago
CENT = Decimal("0.01")

# city, pinyin, region, area code, postcode prefix, districts
CITIES = [
    ("北京", "bj", "北京", "010", "100", ("海淀区", "朝阳区", "东城区", "丰台区")),
    ("天津", "tj", "华北", "022", "300", ("和平区", "南开区")), ("石家庄", "sjz", "华北", "0311", "050", ("长安区", "裕华区")),
    ("太原", "ty", "华北", "0351", "030", ("小店区", "迎泽区")), ("沈阳", "sy", "东北", "024", "110", ("和平区", "浑南区")),
    ("大连", "dl", "东北", "0411", "116", ("中山区", "甘井子区")), ("哈尔滨", "hrb", "东北", "0451", "150", ("南岗区", "道里区")),
    ("长春", "cc", "东北", "0431", "130", ("朝阳区", "南关区")), ("武汉", "wh", "中南", "027", "430", ("江汉区", "洪山区")),
    ("长沙", "cs", "中南", "0731", "410", ("岳麓区", "雨花区")), ("郑州", "zz", "中南", "0371", "450", ("金水区", "二七区")),
    ("成都", "cd", "西部", "028", "610", ("武侯区", "高新区")), ("重庆", "cq", "西部", "023", "400", ("渝中区", "江北区")),
    ("西安", "xa", "西部", "029", "710", ("雁塔区", "碑林区")), ("昆明", "km", "西部", "0871", "650", ("五华区", "盘龙区")),
    ("上海", "sh", "华东", "021", "200", ("浦东新区", "徐汇区", "闵行区")), ("南京", "nj", "华东", "025", "210", ("鼓楼区", "建邺区")),
    ("杭州", "hz", "华东", "0571", "310", ("西湖区", "滨江区")), ("济南", "jn", "华东", "0531", "250", ("历下区", "市中区")),
    ("广州", "gz", "华南", "020", "510", ("天河区", "越秀区")), ("深圳", "sz", "华南", "0755", "518", ("南山区", "福田区")),
    ("厦门", "xm", "华南", "0592", "361", ("思明区", "湖里区")),
]
WORDS = [("华信", "huaxin"), ("东方", "dongfang"), ("宏达", "hongda"), ("恒通", "hengtong"), ("鑫源", "xinyuan"),
         ("金桥", "jinqiao"), ("天诚", "tiancheng"), ("博远", "boyuan"), ("瑞丰", "ruifeng"), ("海川", "haichuan"),
         ("联创", "lianchuang"), ("新锐", "xinrui"), ("远景", "yuanjing"), ("明德", "mingde"), ("盛世", "shengshi"),
         ("永信", "yongxin"), ("安泰", "antai"), ("康达", "kangda"), ("中鼎", "zhongding"), ("华宇", "huayu"),
         ("荣达", "rongda"), ("嘉禾", "jiahe"), ("同辉", "tonghui"), ("凯瑞", "kairui"), ("九州", "jiuzhou"),
         ("广源", "guangyuan"), ("世纪", "shiji"), ("蓝天", "lantian"), ("华泰", "huatai"), ("正信", "zhengxin")]
TRADES = ["科技", "电子", "贸易", "机械", "信息技术", "医药", "建设", "物流", "能源", "化工", "食品", "软件", "通信",
          "实业", "教育科技", "环保"]
SUFFIXES = ["有限公司"] * 6 + ["股份有限公司"] * 2 + ["集团有限公司"]
STREETS = ["中山路", "人民路", "建设大道", "解放路", "科技园路", "长江路", "友谊大街", "新华路", "滨江大道", "和平路"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "桂英", "建华", "晓东", "志强", "海燕", "文博", "雪梅", "子涵", "国庆", "立新", "春燕"]
POSITIONS = ["总经理", "采购经理", "财务总监", "技术主管", "行政主管", "办公室主任", "信息中心主任", "副总经理"]
BANKS = ["中国工商银行", "中国建设银行", "中国银行", "中国农业银行", "招商银行", "交通银行"]
ACTIVITIES = [("产品演示", "向客户演示新款产品并解答技术问题。"), ("商务洽谈", "就年度采购框架协议进行洽谈。"),
              ("售后回访", "回访设备使用情况，客户反馈良好。"), ("年度合作会谈", "回顾本年度合作并讨论明年计划。"),
              ("节日拜访", "节日前拜访客户负责人，赠送公司礼品。"), ("投诉处理回访", "确认此前问题已解决。")]
PLACES = ["客户公司", "我司会议室", "电话沟通", "行业展会", "客户工厂"]


def _person(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _digits(rng, n):
    return "".join(rng.choice("0123456789") for _ in range(n))


def _day(rng, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _customers(rng, today, managers):
    """Customer rows (without no/id) with their order window: (row, first order day, last order day, n weight)."""
    kinds = ["never"] * N_NEVER + ["silent"] * N_SILENT + ["active"] * (N_CUSTOMERS - N_NEVER - N_SILENT)
    rng.shuffle(kinds)
    names, planned, never_seen = set(), [], 0
    for kind in kinds:
        city, city_py, region, area, post, districts = rng.choice(CITIES)
        while True:
            word, word_py = rng.choice(WORDS)
            name = f"{city}{word}{rng.choice(TRADES)}{rng.choice(SUFFIXES)}"
            if name not in names:
                names.add(name)
                break
        if kind == "never":
            never_seen += 1
            created = today - timedelta(days=rng.randint(240, 600) if never_seen % 2 else rng.randint(20, 120))
        else:
            created = _day(rng, today - timedelta(days=5 * 365), today - timedelta(days=60))
        last = today
        if kind == "silent":
            last = today - timedelta(days=rng.randint(215, 900))
            created = min(created, last - timedelta(days=rng.randint(60, 400)))
        level = rng.choices((1, 2, 3, 4, 5), weights=(45, 25, 15, 10, 5))[0]
        capital = rng.choice((50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000))
        uscc = "91" + post + "000" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(10))
        row = {
            "name": name, "region": region, "manager_id": rng.choice(managers) if managers else None,
            "level": level, "satisfaction": rng.choices((1, 2, 3, 4, 5), weights=(5, 10, 35, 35, 15))[0],
            "credit": rng.choices((1, 2, 3, 4, 5), weights=(3, 7, 30, 40, 20))[0],
            "address": f"{city}市{rng.choice(districts)}{rng.choice(STREETS)}{rng.randint(1, 300)}号",
            "postcode": post + _digits(rng, 3), "phone": f"{area}-{rng.randint(2, 8)}{_digits(rng, 7)}",
            "fax": f"{area}-{rng.randint(2, 8)}{_digits(rng, 7)}" if rng.random() < 0.6 else None,
            "website": f"www.{city_py}{word_py}.com.cn", "licence_no": uscc, "legal_rep": _person(rng),
            "registered_capital": Decimal(capital),
            "turnover": Decimal(round(capital * rng.uniform(0.5, 6), 0)), "bank": f"{rng.choice(BANKS)}{city}分行",
            "bank_account": "62" + _digits(rng, 17), "local_tax_no": uscc, "national_tax_no": uscc,
            "status": "normal",
            "created_at": datetime.combine(created, time(rng.randint(1, 9), rng.randint(0, 59))),
        }
        weight = 0 if kind == "never" else (1, 1.5, 3, 4, 6)[level - 1] * rng.uniform(0.5, 1.5)
        planned.append((row, max(created, today - timedelta(days=3 * 365)), last, weight, kind))
    return planned


def _numbered(planned):
    """KH + yyMMdd of the day the customer was created + a per-day sequence."""
    planned.sort(key=lambda p: p[0]["created_at"])
    per_day = {}
    for row, *_rest in planned:
        day = row["created_at"].strftime("%y%m%d")
        per_day[day] = per_day.get(day, 0) + 1
        row["no"] = f"KH{day}{per_day[day]:03d}"
    return planned


def _order_counts(rng, planned):
    total_weight = sum(p[3] for p in planned)
    counts = [max(1, round(N_ORDERS * p[3] / total_weight)) if p[3] else 0 for p in planned]
    biggest = max(range(len(counts)), key=counts.__getitem__)
    counts[biggest] += N_ORDERS - sum(counts)
    return counts


def plan_demo(today: date, managers: list[int], products: list[tuple[int, str, Decimal]]):
    """All demo rows, computed without the database: customers, contacts, activities, orders with lines.

    Orders and contacts name their customer by number; lines name their order by number."""
    rng = random.Random(42)
    planned = _numbered(_customers(rng, today, managers))
    contacts, activities, orders = [], [], []
    for row, *_rest in planned:
        for k in range(rng.choice((1, 1, 2, 2, 3))):
            city_phone = row["phone"].split("-")[0]
            contacts.append({"customer_no": row["no"], "name": _person(rng), "sex": rng.choice(("男", "女")),
                             "position": POSITIONS[0] if k == 0 and rng.random() < 0.4 else rng.choice(POSITIONS),
                             "office_phone": f"{city_phone}-{rng.randint(2, 8)}{_digits(rng, 7)}",
                             "mobile": f"1{rng.choice('3589')}{_digits(rng, 9)}",
                             "memo": "主要联系人" if k == 0 else None})
        created = row["created_at"].date()
        for _k in range(rng.choice((0, 1, 1, 2, 3))):
            summary, details = rng.choice(ACTIVITIES)
            activities.append({"customer_no": row["no"], "date": _day(rng, created, today),
                               "place": rng.choice(PLACES), "summary": summary, "details": details, "remark": None})
    counts = _order_counts(rng, planned) if products else [0] * len(planned)
    for (row, first, last, _w, kind), count in zip(planned, counts):
        days = sorted(_day(rng, first, last) for _ in range(count))
        if kind == "active" and days and (today - days[-1]).days > 150:
            days[-1] = today - timedelta(days=rng.randint(0, 150))  # active means bought within the churn window
        for day in days:
            lines = []
            for product_id, unit, price in rng.sample(products, rng.choices((1, 2, 3, 4), weights=(40, 30, 20, 10))[0]):
                ceiling = max(1, min(100, int(20000 / float(price))))
                unit_price = (price * Decimal(rng.choice(("1", "1", "0.95", "0.9", "0.85")))).quantize(CENT)
                lines.append({"product_id": product_id, "quantity": rng.randint(1, ceiling), "unit": unit,
                              "unit_price": unit_price})
            age = (today - day).days
            paid = rng.random() < (0.96 if age > 90 else 0.4)
            orders.append({"customer_no": row["no"], "order_date": day, "address": row["address"],
                           "status": "paid" if paid else "unpaid", "lines": lines,
                           "total": sum((ln["quantity"] * ln["unit_price"] for ln in lines), Decimal(0)).quantize(CENT),
                           "imported_at": datetime.combine(day, time(1, 0))})
    orders.sort(key=lambda o: (o["order_date"], o["customer_no"]))
    per_day = {}
    for order in orders:
        key = order["order_date"].strftime("%Y%m%d")
        per_day[key] = per_day.get(key, 0) + 1
        order["order_no"] = f"SO{key}{per_day[key]:04d}"
    return {"customers": [p[0] for p in planned], "contacts": contacts, "activities": activities, "orders": orders}


def seed_demo(db):
    if db.scalar(select(exists().where(Customer.id.isnot(None)))):
        return
    managers = list(db.scalars(select(User.id).where(User.username.in_(("manager1", "manager2")))
                               .order_by(User.username)))
    products = [tuple(r) for r in db.execute(select(Product.id, Product.unit, Product.unit_price)
                                             .order_by(Product.id))]
    plan = plan_demo(utcnow().date(), managers, products)
    db.execute(insert(Customer), plan["customers"])
    ids = dict(db.execute(select(Customer.no, Customer.id)).all())

    def by_customer(rows):
        return [{**{k: v for k, v in r.items() if k != "customer_no"}, "customer_id": ids[r["customer_no"]]}
                for r in rows]

    db.execute(insert(Contact), by_customer(plan["contacts"]))
    contact_text.refresh(db)  # the bulk insert bypasses the contact events that keep it
    if plan["activities"]:
        db.execute(insert(Activity), by_customer(plan["activities"]))
    if plan["orders"]:
        db.execute(insert(Order), by_customer([{k: v for k, v in o.items() if k != "lines"} for o in plan["orders"]]))
        order_ids = dict(db.execute(select(Order.order_no, Order.id)).all())
        db.execute(insert(OrderLine), [{**line, "order_id": order_ids[o["order_no"]]}
                                       for o in plan["orders"] for line in o["lines"]])
        last_order.refresh(db)  # the bulk insert bypasses the order hook that keeps it
    db.flush()
