"""The second half of the import contract (the first is .importlinter): a domain may read another domain's models
(joins, names, lists) but never writes them — no `Other(...)` row, no `insert/update/delete(Other)`. It asks the
owning domain's service, or the owner reacts to a hook (app/catalog/hooks.py, app/customers/hooks.py).

import-linter sees imports, not what the importer does with them, so this reads the source with ast."""
import ast
from pathlib import Path

# app.common's models (the audit trail) are shared by every domain; the admin pages own the users and roles that
# app.auth defines; demo seeds build data across domains on purpose.
SHARED = {"common"}
OWNERS = {("admin", "auth")}
SKIPPED_FILES = {"seed.py"}
WRITERS = {"insert", "update", "delete"}


def _foreign_models(tree, domain):
    """Names bound in this module to classes of another domain's models module."""
    names = {}
    for node in ast.walk(tree):
        # app.<domain>.models only: app.models is the loader of every domain's models, not a domain
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app.") \
                and node.module.endswith(".models") and node.module.count(".") == 2:
            owner = node.module.split(".")[1]
            if owner == domain or owner in SHARED or (domain, owner) in OWNERS:
                continue
            for alias in node.names:
                names[alias.asname or alias.name] = node.module
    return names


def _target(arg):
    """The model named by an argument: `Model` or `Model.__table__`."""
    if isinstance(arg, ast.Name):
        return arg.id
    if isinstance(arg, ast.Attribute) and arg.attr == "__table__" and isinstance(arg.value, ast.Name):
        return arg.value.id
    return None


def violations(app_dir) -> list[str]:
    """'path:line: writes <module>.<Model>' for every write of another domain's model under app_dir."""
    found = []
    app_dir = Path(app_dir)
    for path in sorted(app_dir.glob("*/**/*.py")):
        if path.name in SKIPPED_FILES:
            continue
        domain = path.relative_to(app_dir).parts[0]
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        foreign = _foreign_models(tree, domain)
        if not foreign:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            written = None
            if isinstance(func, ast.Name) and func.id in foreign:
                written = func.id  # a new row of another domain's table
            elif name in WRITERS and node.args and _target(node.args[0]) in foreign:
                written = _target(node.args[0])
            if written:
                found.append(f"{path.relative_to(app_dir.parent)}:{node.lineno}: writes {foreign[written]}.{written}")
    return sorted(found, key=lambda v: (v.split(":")[0], int(v.split(":")[1])))
