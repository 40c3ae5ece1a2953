"""process definitions: deploy note and change summary; process_migration (instances moved between versions);
process_form (task forms saved from the form editor, versioned)

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('change_summary', sa.JSON(), nullable=True))
    op.create_table(
        'process_migration',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('process_key', sa.String(length=100), nullable=False),
        sa.Column('from_definition_id', sa.Integer(), nullable=False),
        sa.Column('to_definition_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('migrated', sa.JSON(), nullable=False),
        sa.Column('refused', sa.JSON(), nullable=False),
        sa.Column('reverts_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['from_definition_id'], ['process_definition.id'],
                                name=op.f('fk_process_migration_from_definition_id_process_definition')),
        sa.ForeignKeyConstraint(['to_definition_id'], ['process_definition.id'],
                                name=op.f('fk_process_migration_to_definition_id_process_definition')),
        sa.ForeignKeyConstraint(['reverts_id'], ['process_migration.id'],
                                name=op.f('fk_process_migration_reverts_id_process_migration')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_process_migration')),
    )
    with op.batch_alter_table('process_migration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_migration_process_key'), ['process_key'], unique=False)
    op.create_table(
        'process_form',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('saved_by', sa.Integer(), nullable=True),
        sa.Column('saved_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_process_form')),
        sa.UniqueConstraint('name', 'version', name=op.f('uq_process_form_name_version')),
    )
    with op.batch_alter_table('process_form', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_form_name'), ['name'], unique=False)


def downgrade():
    with op.batch_alter_table('process_form', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_form_name'))
    op.drop_table('process_form')
    with op.batch_alter_table('process_migration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_migration_process_key'))
    op.drop_table('process_migration')
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.drop_column('change_summary')
        batch_op.drop_column('note')
