"""customer: the list filtered by region and level counted from one index (replaces the region-only index)

Revision ID: 0014
Revises: 0013
"""
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index('ix_customer_region_level', ['region', 'level', 'status', 'id'], unique=False)
        batch_op.drop_index('ix_customer_region')


def downgrade():
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index('ix_customer_region', ['region'], unique=False)
        batch_op.drop_index('ix_customer_region_level')
