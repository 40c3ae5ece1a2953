"""Products (产品信息) and inventory (库存): read-only search (SPEC §5)."""
from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.catalog.models import Inventory, Product
from app.common.errors import NotFound


def _like(value):
    return f"%{value.strip()}%"


def query_products(*, q=None, name=None, model=None, batch=None):
    stmt = select(Product).order_by(Product.name, Product.id)
    if q:
        stmt = stmt.where(or_(Product.name.ilike(_like(q)), Product.model.ilike(_like(q)),
                              Product.batch.ilike(_like(q))))
    for column, value in ((Product.name, name), (Product.model, model), (Product.batch, batch)):
        if value and value.strip():
            stmt = stmt.where(column.ilike(_like(value)))
    return stmt


def get_product(db, product_id) -> Product:
    product = db.get(Product, product_id)
    if product is None:
        raise NotFound(_("No such product."))
    return product


def query_inventory(*, product=None, product_id=None, warehouse=None, q=None):
    """`product` matches the product's name or model; `warehouse` matches part of the warehouse name."""
    stmt = select(Inventory).join(Inventory.product).order_by(Product.name, Inventory.warehouse, Inventory.id)
    if product and product.strip():
        stmt = stmt.where(or_(Product.name.ilike(_like(product)), Product.model.ilike(_like(product))))
    if product_id is not None:
        stmt = stmt.where(Inventory.product_id == product_id)
    if warehouse and warehouse.strip():
        stmt = stmt.where(Inventory.warehouse.ilike(_like(warehouse)))
    if q and q.strip():
        stmt = stmt.where(or_(Product.name.ilike(_like(q)), Inventory.warehouse.ilike(_like(q)),
                              Inventory.location.ilike(_like(q))))
    return stmt


def list_warehouses(db) -> list[str]:
    return list(db.scalars(select(Inventory.warehouse).distinct().order_by(Inventory.warehouse)))
