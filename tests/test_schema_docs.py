"""docs/data-model.md and docs/schema.sql are generated from the models: they must match what the code says."""
from sqlalchemy.dialects import postgresql

from app.common.schema_docs import data_model_markdown, generated_docs, schema_sql
from app.models import load_all_models
from app.db import ALL_METADATA


def test_generated_docs_are_current():
    stale = [p.name for p, text in generated_docs().items()
             if not p.exists() or p.read_text(encoding="utf-8") != text]
    assert not stale, f"regenerate with `flask --app app docs`: {stale} differ from the models"


def test_every_table_and_foreign_key_is_in_the_diagram():
    load_all_models()
    md = data_model_markdown()
    ddl = schema_sql()
    for meta in ALL_METADATA:
        for table in meta.tables.values():
            assert f"    {table.name} {{" in md
            quoted = postgresql.dialect().identifier_preparer.format_table(table)
            assert f"CREATE TABLE {quoted} (" in ddl
            for fk in table.foreign_keys:
                assert f'{fk.column.table.name} ' in md and f': "{fk.parent.name}"' in md


def test_docs_command_runs(app, tmp_path, monkeypatch):
    import app.common.schema_docs as docs
    monkeypatch.setattr(docs, "DOCS_DIR", tmp_path)
    result = app.test_cli_runner().invoke(args=["docs"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data-model.md").read_text(encoding="utf-8").startswith("# Data model")
    assert "CREATE TABLE customer (" in (tmp_path / "schema.sql").read_text(encoding="utf-8")
    again = app.test_cli_runner().invoke(args=["docs"])
    assert "docs up to date" in again.output
