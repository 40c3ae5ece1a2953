"""customer_sales (the reports' per customer and year sums) and customer.last_order_date (the churn scan's
candidates), both backfilled from the orders; sales_year (customers per year: the unfiltered report's total);
ix_customer_composition (the composition report's counts)

The contribution report summed every order line (5M lines: seconds); it now reads `customer_sales`, which the
order hook keeps (app/reports/sales_totals.py). The churn scan anti-joined every order; it now reads the
customer's last order date, kept by the order hook (app/customers/last_order.py). Amounts are whole cents.
The backfill is the same computation as those modules' rebuild/refresh, written out here so that this file
does not change when they do.

Revision ID: 0010
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0006'
branch_labels = None
depends_on = None

NOT_DELETED = "status <> 'deleted'"
YEAR = {"postgresql": "CAST(EXTRACT(YEAR FROM o.order_date) AS INTEGER)",
        "sqlite": "CAST(strftime('%Y', o.order_date) AS INTEGER)"}


def upgrade():
    op.create_table(
        'customer_sales',
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('amount_cents', sa.BigInteger(), nullable=False),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.Column('lines', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_sales_customer_id_customer')),
        sa.PrimaryKeyConstraint('customer_id', 'year', name=op.f('pk_customer_sales')),
    )
    op.create_table(
        'sales_year',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('customers', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('year', name=op.f('pk_sales_year')),
    )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_order_date', sa.Date(), nullable=True))

    year = YEAR[op.get_bind().dialect.name]
    op.execute(f"""
        INSERT INTO customer_sales (customer_id, year, amount_cents, orders, lines)
        SELECT o.customer_id, {year}, SUM(CAST(ROUND(l.quantity * l.unit_price * 100) AS BIGINT)),
               COUNT(DISTINCT o.id), COUNT(l.id)
        FROM customer_order o JOIN order_line l ON l.order_id = o.id
        GROUP BY o.customer_id, {year}""")
    op.execute("""
        INSERT INTO customer_sales (customer_id, year, amount_cents, orders, lines)
        SELECT customer_id, 0, SUM(amount_cents), SUM(orders), SUM(lines) FROM customer_sales
        GROUP BY customer_id""")
    op.execute("INSERT INTO sales_year (year, customers) SELECT year, COUNT(*) FROM customer_sales GROUP BY year")
    op.execute("""
        UPDATE customer SET last_order_date =
            (SELECT MAX(o.order_date) FROM customer_order o WHERE o.customer_id = customer.id)""")
    # Indexes after the backfill: built once instead of kept row by row.
    op.create_index('ix_customer_sales_year_amount', 'customer_sales', ['year', 'amount_cents'], unique=False)
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index('ix_customer_status_last_order', ['status', 'last_order_date'], unique=False,
                              postgresql_include=['id', 'created_at'])
        batch_op.create_index('ix_customer_composition', ['level', 'credit', 'satisfaction'], unique=False,
                              postgresql_where=sa.text(NOT_DELETED), sqlite_where=sa.text(NOT_DELETED))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE customer_sales")
        op.execute("ANALYZE customer")


def downgrade():
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_composition', postgresql_where=sa.text(NOT_DELETED),
                            sqlite_where=sa.text(NOT_DELETED))
        batch_op.drop_index('ix_customer_status_last_order')
        batch_op.drop_column('last_order_date')
    op.drop_index('ix_customer_sales_year_amount', table_name='customer_sales')
    op.drop_table('sales_year')
    op.drop_table('customer_sales')
