"""The engine is a sealed port: domains import only processes.api and the small shared engine modules
(.importlinter, checked by import-linter), and never write another domain's tables (tests/domain_writes.py).
Each rule is also shown failing on a deliberate violation, so a broken checker cannot pass silently."""
import configparser
import subprocess
import sys
from pathlib import Path

from domain_writes import violations

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(cwd):
    return subprocess.run([str(LINT), "--config", ".importlinter", "--no-cache"], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_the_app_keeps_the_import_contracts():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def _package(root, dotted, source=""):
    path = root.joinpath(*dotted.split("."))
    path.mkdir(parents=True, exist_ok=True)
    (path / "__init__.py").write_text(source, "utf-8")


def test_a_domain_importing_engine_internals_breaks_the_contract(tmp_path):
    """The repository's own contract file over a skeleton of the same packages, one domain module reaching into
    processes.models: lint-imports fails and names the import."""
    config = (ROOT / ".importlinter").read_text("utf-8")
    parser = configparser.ConfigParser()
    parser.read_string(config)
    modules = set(parser["importlinter"]["root_packages"].split())
    for section in parser.sections():
        for option in ("source_modules", "forbidden_modules"):
            if parser.has_option(section, option):
                modules |= {m for m in parser[section][option].split() if m.split(".")[0] in
                            {"app", "processes", "scheduler"}}
    modules |= {"processes.api", "app.reports.service"}
    for module in sorted(modules):
        _package(tmp_path, module)
    (tmp_path / "processes" / "api" / "__init__.py").write_text("from processes import models\n", "utf-8")
    (tmp_path / "app" / "reports" / "service" / "__init__.py").write_text("from processes import models\n")
    (tmp_path / ".importlinter").write_text(config, "utf-8")

    assert _lint(tmp_path).returncode == 0  # the port and the one listed exception are allowed

    (tmp_path / "app" / "sales" / "shortcut.py").write_text(
        "from processes import api  # fine\nfrom processes.models import HumanTask  # the inside\n", "utf-8")
    result = _lint(tmp_path)
    assert result.returncode == 1
    assert "BROKEN" in result.stdout and "app.sales.shortcut -> processes.models" in result.stdout


def test_no_domain_writes_another_domains_tables():
    assert violations(ROOT / "app") == []


def test_writing_another_domains_model_is_found(tmp_path):
    app = tmp_path / "app"
    (app / "customers").mkdir(parents=True)
    (app / "churn").mkdir()
    (app / "customers" / "models.py").write_text("class Customer: ...\n", "utf-8")
    (app / "customers" / "search.py").write_text(
        "from app.customers.models import Customer\nCustomer(name='own domain: fine')\n", "utf-8")
    (app / "churn" / "service.py").write_text(
        "from sqlalchemy import select, update\n"
        "from app.customers.models import Customer as C\n"
        "def read(db):\n    return db.scalars(select(C))  # reading: fine\n"
        "def lose(db, cid):\n    db.execute(update(C).where(C.id == cid).values(status='lost'))\n"
        "def make(db):\n    db.add(C(name='x'))\n", "utf-8")
    assert violations(app) == ["app/churn/service.py:6: writes app.customers.models.C",
                               "app/churn/service.py:8: writes app.customers.models.C"]
