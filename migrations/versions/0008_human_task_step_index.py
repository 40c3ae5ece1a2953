"""human_task: open tasks by process and step, for the domain worklists (processes.records.waiting_at)

Revision ID: 0008
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0003'
branch_labels = None
depends_on = None

OPEN = 'completed_at IS NULL'


def upgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_step', ['process_key', 'bpmn_id', 'business_key'], unique=False,
                              postgresql_include=['assignee_id', 'claimed_by'],
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_step', postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
