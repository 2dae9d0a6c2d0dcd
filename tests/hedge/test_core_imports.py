"""Nothing under hedge/core imports an app: the shared helpers sit below every app (STYLE, Layout)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "hedge" / "core"
# Every package with an apps.py is an app, the project's own `hedge` excepted (core lives inside it).
APPS = sorted(
    ".".join(path.parent.relative_to(ROOT).parts)
    for path in [*ROOT.glob("*/apps.py"), *ROOT.glob("hedge/*/apps.py")]
    if path.parent != ROOT / "hedge"
)


def imported_modules(source: str, package: str) -> set[str]:
    """The modules (and `from m import name` candidates m.name) that `source`, a module of `package`, imports."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found |= {module, *(f"{module}.{alias.name}" for alias in node.names)}
    return found


def app_imports(source: str, package: str) -> list[str]:
    return sorted(
        module for module in imported_modules(source, package) for app in APPS if f"{module}.".startswith(f"{app}.")
    )


def test_the_apps_are_found():
    assert {"leaderboards", "seasons", "prizes", "hedge.challenges", "hedge.demo"} <= set(APPS)


@pytest.mark.parametrize(
    "source",
    [
        "import leaderboards.models",
        "from seasons.api.service import ServiceView",
        "from hedge.challenges.models import Challenge",
        "from hedge import demo",
        "def f():\n    from ..challenges import models",  # relative to hedge.core, and lazily
    ],
)
def test_an_app_import_is_found(source):
    assert app_imports(source, "hedge.core")


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda path: str(path.relative_to(ROOT)))
def test_core_module_imports_no_app(path):
    package = ".".join(path.parent.relative_to(ROOT).parts)
    assert app_imports(path.read_text(), package) == []
