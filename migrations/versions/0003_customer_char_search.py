"""customer search of 1 or 2 characters (PostgreSQL): GIN indexes over the characters of the searched names

The trigram indexes of 0001 serve 'contains' searches from 3 characters. Shorter texts (a 2-character part of a
Chinese company or person name) get an expression index each on PostgreSQL: the array of the characters of
lower(column), so that `string_to_array(lower(col), NULL) @> string_to_array(lower(:q), NULL)` (every character
of the text occurs in the value) narrows the rows before the ILIKE decides (app/customers/search.py). The
expression uses built-in immutable functions only, no function of ours to keep in step. SQLite: nothing to do
(the search there stays a plain LIKE).

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# (index, table, column): as declared in app/customers/models.py (chars_index)
INDEXES = [
    ("ix_customer_no_chars", "customer", "no"),
    ("ix_customer_name_chars", "customer", "name"),
    ("ix_contact_name_chars", "contact", "name"),
]


def _postgresql():
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if not _postgresql():
        return
    for name, table, column in INDEXES:
        op.create_index(name, table, [sa.text(f"string_to_array(lower({column}), NULL)")], unique=False,
                        postgresql_using="gin")
    # Statistics of the new expressions (their most common characters), without which the planner guesses how
    # many rows a character test keeps; autovacuum would not gather them before the tables change enough.
    for table in sorted({table for _name, table, _column in INDEXES}):
        op.execute(f"ANALYZE {table}")


def downgrade():
    if not _postgresql():
        return
    for name, table, _column in reversed(INDEXES):
        op.drop_index(name, table_name=table)
