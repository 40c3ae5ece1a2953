"""Imports every model module so the metadata is complete (Alembic, create_all, tests)."""
import importlib
import importlib.util

MODEL_PACKAGES = ["common", "auth", "catalog", "customers", "sales", "churn", "service", "reports"]


def load_all_models():
    import processes.models  # noqa: F401
    for pkg in MODEL_PACKAGES:
        name = f"app.{pkg}.models"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
