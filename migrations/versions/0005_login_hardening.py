"""login hardening: remember-me tokens remember their rotation; failed sign-ins counted per (user name, address)

A rotated remember-me token keeps its row with rotated_at set, so presenting it again is recognised as the
replay of a stolen cookie. login_failure holds the lock of one user name from one client address, so one
attacker's address cannot lock an account for everyone else.

Revision ID: 0005
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('remember_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rotated_at', sa.DateTime(), nullable=True))
    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_failed_at', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure')),
    sa.UniqueConstraint('username', 'address', name=op.f('uq_login_failure_username_address'))
    )


def downgrade():
    op.drop_table('login_failure')
    with op.batch_alter_table('remember_token', schema=None) as batch_op:
        batch_op.drop_column('rotated_at')
