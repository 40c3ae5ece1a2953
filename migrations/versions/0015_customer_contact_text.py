"""customer.contact_text: the contacts' names and phones on the customer row, searched by its own indexes

The search box looked contacts up in the contact table (trigram indexes on name, mobile and office phone), then
read each match's customer: two heap reads per match. The text now lives on the customer (kept by
app/customers/contact_text.py) with a trigram index (and, on PostgreSQL, a characters index for 1-2 character
texts); the contact table's search indexes are dropped, which also makes every contact write cheaper.

Backfilled here with the same text the app keeps: per contact `name LF mobile LF office_phone`, joined by LF.

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

CONTACT_INDEXES = ["ix_contact_name_search", "ix_contact_mobile_search", "ix_contact_office_phone_search"]


def _postgresql():
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_text', sa.Text(), nullable=True))
    if _postgresql():
        op.execute("""
            UPDATE customer SET contact_text = t.text
            FROM (SELECT customer_id, string_agg(name || E'\\n' || coalesce(mobile, '') || E'\\n'
                                                 || coalesce(office_phone, ''), E'\\n') AS text
                  FROM contact GROUP BY customer_id) t
            WHERE t.customer_id = customer.id""")
        op.create_index('ix_customer_contact_text_search', 'customer', ['contact_text'], unique=False,
                        postgresql_using='gin', postgresql_ops={'contact_text': 'gin_trgm_ops'})
        op.create_index('ix_customer_contact_text_chars', 'customer',
                        [sa.text("string_to_array(lower(contact_text), NULL)")], unique=False,
                        postgresql_using='gin')
        op.drop_index('ix_contact_name_chars', table_name='contact')
    else:
        op.execute("""
            UPDATE customer SET contact_text = (
                SELECT group_concat(name || char(10) || coalesce(mobile, '') || char(10)
                                    || coalesce(office_phone, ''), char(10))
                FROM contact WHERE contact.customer_id = customer.id)""")
        op.create_index('ix_customer_contact_text_search', 'customer', ['contact_text'], unique=False)
    for name in CONTACT_INDEXES:
        op.drop_index(name, table_name='contact')
    if _postgresql():
        # The backfill rewrote every customer row. Until a VACUUM marks the pages all-visible again, the lists
        # counted from an index alone read the table too (the region+level list at 1M customers: 35 ms instead
        # of 16), and the new column has no statistics. VACUUM cannot run inside the migration's transaction.
        with op.get_context().autocommit_block():
            op.execute("VACUUM ANALYZE customer")


def downgrade():
    if _postgresql():
        for name, column in zip(CONTACT_INDEXES, ["name", "mobile", "office_phone"]):
            op.create_index(name, 'contact', [column], unique=False, postgresql_using='gin',
                            postgresql_ops={column: 'gin_trgm_ops'})
        op.create_index('ix_contact_name_chars', 'contact', [sa.text("string_to_array(lower(name), NULL)")],
                        unique=False, postgresql_using='gin')
        op.drop_index('ix_customer_contact_text_chars', table_name='customer')
    else:
        for name, column in zip(CONTACT_INDEXES, ["name", "mobile", "office_phone"]):
            op.create_index(name, 'contact', [column], unique=False)
    op.drop_index('ix_customer_contact_text_search', table_name='customer')
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of the customer table would drop the old table, which the
    # foreign keys of contacts, orders and processes forbid once it holds customers.
    op.execute("ALTER TABLE customer DROP COLUMN contact_text")
