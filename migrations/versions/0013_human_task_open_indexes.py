"""human_task: every open task in list order, for the inbox of those who watch processes (tab "all")

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

OPEN = 'completed_at IS NULL'


def upgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_open', ['created_at', 'id'], unique=False,
                              postgresql_include=['due_at'],
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
        batch_op.create_index('ix_human_task_open_due', ['due_at', 'id'], unique=False,
                              postgresql_include=['created_at'],
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_open_due', postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
        batch_op.drop_index('ix_human_task_open', postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
