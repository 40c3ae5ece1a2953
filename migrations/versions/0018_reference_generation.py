"""reference_generation: a number every change of the reference data moves (app.common.reference_cache)

Pages read the same reference rows on every request (the dictionary's regions and levels, the deployed processes'
names, the customer managers). The app keeps them per process and checks them against this one-row table's
generation, which the sign-in statement reads anyway. Triggers give it a new random value in every statement that
writes one of the tables, inside the writer's transaction: whoever sees the new data sees the new number, and a
number is never handed out twice, not even by a transaction that rolls back (a counter would repeat it).

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# table -> the columns whose change matters (None: every change)
WATCHED = {
    'dictionary_entry': None,
    'process_definition': None,
    'role': None,
    'user_account': ('name', 'active', 'role_id'),
}
PG_FUNCTION = 'crm_new_reference_generation'


def upgrade():
    op.create_table('reference_generation',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('generation', sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_generation')))
    op.execute("INSERT INTO reference_generation (id, generation) VALUES (1, 1)")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"""
            CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE reference_generation SET generation = floor(random() * 9007199254740991)::bigint + 2;
                RETURN NULL;
            END $$""")
        for table, columns in WATCHED.items():
            update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
            op.execute(f"CREATE TRIGGER trg_{table}_reference AFTER INSERT OR {update} OR DELETE OR TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()")
    else:  # SQLite: row triggers only
        for table, columns in WATCHED.items():
            for event in ('INSERT', 'DELETE', f"UPDATE OF {', '.join(columns)}" if columns else 'UPDATE'):
                name = f"trg_{table}_reference_{event.split()[0].lower()}"
                op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN "
                           "UPDATE reference_generation SET generation = random(); END")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_reference ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
    else:
        for table in WATCHED:
            for event in ('insert', 'delete', 'update'):
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_reference_{event}")
    op.drop_table('reference_generation')
