"""Demo basic data: the dictionary of SPEC §5, ~50 products, their stock in three warehouses.

Idempotent: dictionary entries are added when their (type, item) is missing; products only into an empty table.
"""
import random
from decimal import Decimal

from sqlalchemy import func, insert, select

from app.catalog.dictionary_service import (TYPE_CREDIT, TYPE_LEVEL, TYPE_REGION, TYPE_SATISFACTION,
                                            TYPE_SERVICE)
from app.catalog.models import DictionaryEntry, Inventory, Product

REGIONS = ["北京", "华北", "中南", "东北", "西部", "华东", "华南"]

# (type, item, value, editable). Levels, credit and satisfaction are scales whose values customers store as
# numbers: renaming or deleting one would silently change what stored values mean, so they are locked.
DICTIONARY = (
    [(TYPE_SERVICE, item, value, True) for item, value in
     (("咨询", "consultation"), ("建议", "suggestion"), ("投诉", "complaint"))]
    + [(TYPE_LEVEL, item, str(i), False) for i, item in
       enumerate(("普通客户", "重点开发客户", "大客户", "合作伙伴", "战略合作伙伴"), start=1)]
    + [(TYPE_REGION, region, region, True) for region in REGIONS]
    + [(TYPE_CREDIT, item, str(i), False) for i, item in
       enumerate(("很差", "较差", "一般", "良好", "优秀"), start=1)]
    + [(TYPE_SATISFACTION, item, str(i), False) for i, item in
       enumerate(("非常不满意", "不满意", "一般", "满意", "非常满意"), start=1)]
)

# The English UI's names of the seeded items (DictionaryEntry.label_en), by (type, item).
ENGLISH_LABELS = {
    (TYPE_SERVICE, "咨询"): "Consultation", (TYPE_SERVICE, "建议"): "Suggestion", (TYPE_SERVICE, "投诉"): "Complaint",
    (TYPE_LEVEL, "普通客户"): "Regular customer", (TYPE_LEVEL, "重点开发客户"): "Key prospect",
    (TYPE_LEVEL, "大客户"): "Major account", (TYPE_LEVEL, "合作伙伴"): "Partner",
    (TYPE_LEVEL, "战略合作伙伴"): "Strategic partner",
    (TYPE_REGION, "北京"): "Beijing", (TYPE_REGION, "华北"): "North China", (TYPE_REGION, "中南"): "Central South",
    (TYPE_REGION, "东北"): "Northeast", (TYPE_REGION, "西部"): "West", (TYPE_REGION, "华东"): "East China",
    (TYPE_REGION, "华南"): "South China",
    (TYPE_CREDIT, "很差"): "Very poor", (TYPE_CREDIT, "较差"): "Poor", (TYPE_CREDIT, "一般"): "Fair",
    (TYPE_CREDIT, "良好"): "Good", (TYPE_CREDIT, "优秀"): "Excellent",
    (TYPE_SATISFACTION, "非常不满意"): "Very dissatisfied", (TYPE_SATISFACTION, "不满意"): "Dissatisfied",
    (TYPE_SATISFACTION, "一般"): "Neutral", (TYPE_SATISFACTION, "满意"): "Satisfied",
    (TYPE_SATISFACTION, "非常满意"): "Very satisfied",
}

# (name, unit, list price, models): two variants each make the ~50 products.
PRODUCT_FAMILIES = [
    ("笔记本电脑", "台", 5200, ("ThinkPad E14", "ThinkPad X1")), ("台式电脑", "台", 4300, ("启天 M430", "启天 M650")),
    ("激光打印机", "台", 1800, ("LaserJet M126a", "LaserJet M403d")), ("喷墨打印机", "台", 900, ("L3158", "L4168")),
    ("数码复印机", "台", 12800, ("AR-2048N", "MX-3118NC")), ("商务投影仪", "台", 3600, ("CB-X06", "CB-FH52")),
    ("机架式服务器", "台", 28000, ("PowerEdge R650", "PowerEdge R750")), ("千兆交换机", "台", 2600, ("S1730S-24", "S5735-48")),
    ("企业级路由器", "台", 850, ("AR1220C", "AR6140")), ("液晶显示器", "台", 1200, ("P2422H", "U2723QE")),
    ("UPS不间断电源", "台", 2200, ("C1K", "C3KS")), ("高速扫描仪", "台", 1500, ("DS-530II", "DS-780N")),
    ("原装硒鼓", "个", 380, ("CF230A", "CF226X")), ("原装墨盒", "个", 120, ("T6641", "T6644")),
    ("A4复印纸", "箱", 160, ("70g 5包", "80g 5包")), ("碎纸机", "台", 760, ("S-620", "S-858")),
    ("办公桌", "张", 980, ("1.4m", "1.6m")), ("人体工学办公椅", "把", 560, ("C-201", "C-306")),
    ("钢制文件柜", "个", 820, ("G-4", "G-6")), ("会议平板", "台", 16000, ("65英寸", "86英寸")),
    ("网络摄像机", "台", 680, ("DS-2CD3T46", "DS-2CD3T86")), ("指纹考勤机", "台", 450, ("K28", "K60")),
    ("移动硬盘", "个", 520, ("2TB", "4TB")), ("固态硬盘", "块", 460, ("1TB SATA", "1TB NVMe")),
    ("无线键鼠套装", "套", 160, ("MK275", "MK545")),
]
WAREHOUSES = ["北京总仓", "上海分仓", "广州分仓"]


def seed_dictionary(db):
    present = set(db.execute(select(DictionaryEntry.type, DictionaryEntry.item)).all())
    rows = [{"type": t, "item": i, "value": v, "editable": e, "label_en": ENGLISH_LABELS.get((t, i))}
            for t, i, v, e in DICTIONARY if (t, i) not in present]
    if rows:
        db.execute(insert(DictionaryEntry), rows)


def seed_products(db, rng):
    if db.scalar(select(func.count()).select_from(Product)):
        return
    rows = []
    for name, unit, price, models in PRODUCT_FAMILIES:
        for variant, model in enumerate(models):
            list_price = Decimal(round(price * (1 + 0.35 * variant) * rng.uniform(0.95, 1.05))).quantize(Decimal("1"))
            rows.append({"name": name, "model": model, "batch": f"B{2022 + rng.randint(0, 3)}-{rng.randint(1, 12):02d}",
                         "unit": unit, "unit_price": list_price.quantize(Decimal("0.01")),
                         "memo": "旗舰款" if variant else "标准款"})
    db.execute(insert(Product), rows)
    stock = []
    for product_id in db.scalars(select(Product.id).order_by(Product.id)):
        for warehouse in rng.sample(WAREHOUSES, rng.choice((2, 3))):
            stock.append({"product_id": product_id, "warehouse": warehouse,
                          "location": f"{rng.choice('ABCD')}区-{rng.randint(1, 20):02d}-{rng.randint(1, 8):02d}",
                          "quantity": rng.choice((0, rng.randint(5, 60), rng.randint(50, 500))),
                          "memo": None})
    db.execute(insert(Inventory), stock)


def seed_demo(db):
    rng = random.Random(42)
    seed_dictionary(db)
    seed_products(db, rng)
    db.flush()
