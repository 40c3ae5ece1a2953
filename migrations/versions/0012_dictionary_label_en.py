"""dictionary_entry.label_en: what the English UI shows for an item (levels, regions, service types); the seeded
entries get theirs

Revision ID: 0012
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None

# As app/catalog/seed.py ENGLISH_LABELS had them at this revision (a migration does not import app code).
LABELS = {
    ("服务类型", "咨询"): "Consultation", ("服务类型", "建议"): "Suggestion", ("服务类型", "投诉"): "Complaint",
    ("客户等级", "普通客户"): "Regular customer", ("客户等级", "重点开发客户"): "Key prospect",
    ("客户等级", "大客户"): "Major account", ("客户等级", "合作伙伴"): "Partner",
    ("客户等级", "战略合作伙伴"): "Strategic partner",
    ("地区", "北京"): "Beijing", ("地区", "华北"): "North China", ("地区", "中南"): "Central South",
    ("地区", "东北"): "Northeast", ("地区", "西部"): "West", ("地区", "华东"): "East China",
    ("地区", "华南"): "South China",
    ("信用度", "很差"): "Very poor", ("信用度", "较差"): "Poor", ("信用度", "一般"): "Fair",
    ("信用度", "良好"): "Good", ("信用度", "优秀"): "Excellent",
    ("满意度", "非常不满意"): "Very dissatisfied", ("满意度", "不满意"): "Dissatisfied",
    ("满意度", "一般"): "Neutral", ("满意度", "满意"): "Satisfied",
    ("满意度", "非常满意"): "Very satisfied",
}


def upgrade():
    with op.batch_alter_table('dictionary_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label_en', sa.String(length=60), nullable=True))
    # Entries seeded before this revision: their English labels (an admin's own entries stay without one).
    entry = sa.table('dictionary_entry', sa.column('type', sa.String), sa.column('item', sa.String),
                     sa.column('label_en', sa.String))
    bind = op.get_bind()
    for (type_, item), label in LABELS.items():
        bind.execute(entry.update().where(entry.c.type == type_, entry.c.item == item, entry.c.label_en.is_(None))
                     .values(label_en=label))


def downgrade():
    with op.batch_alter_table('dictionary_entry', schema=None) as batch_op:
        batch_op.drop_column('label_en')
