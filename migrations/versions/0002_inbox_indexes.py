"""inbox: one index per branch (lane, assigned) and sort order (waiting, due)

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

LANE = 'completed_at IS NULL AND assignee_id IS NULL'
OPEN = 'completed_at IS NULL'
INDEXES = [
    ('ix_human_task_lane', ['role', 'created_at', 'id'], ['claimed_by', 'due_at'], LANE),
    ('ix_human_task_lane_due', ['role', 'due_at', 'id'], ['claimed_by', 'created_at'], LANE),
    ('ix_human_task_assigned', ['assignee_id', 'created_at', 'id'], ['role', 'claimed_by', 'due_at'], OPEN),
    ('ix_human_task_assigned_due', ['assignee_id', 'due_at', 'id'], ['role', 'claimed_by', 'created_at'], OPEN),
]


def upgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_inbox', postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
        batch_op.drop_index('ix_human_task_open_assignee')
        for name, columns, include, where in INDEXES:
            batch_op.create_index(name, columns, unique=False, postgresql_include=include,
                                  postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        for name, _columns, _include, where in INDEXES:
            batch_op.drop_index(name, postgresql_where=sa.text(where), sqlite_where=sa.text(where))
        batch_op.create_index('ix_human_task_open_assignee', ['assignee_id', 'completed_at'], unique=False)
        batch_op.create_index('ix_human_task_inbox', ['role', 'created_at'], unique=False,
                              postgresql_include=['id', 'assignee_id', 'claimed_by', 'due_at'],
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
