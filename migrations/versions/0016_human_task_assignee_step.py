"""human_task: a user's open tasks at one step of a process, for the worklists and badges of assigned steps

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

OPEN = 'completed_at IS NULL'


def upgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_assignee_step', ['assignee_id', 'process_key', 'bpmn_id'],
                              unique=False, postgresql_include=['business_key'],
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_assignee_step', postgresql_where=sa.text(OPEN),
                            sqlite_where=sa.text(OPEN))
