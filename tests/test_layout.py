"""The house rules of docs/architecture.md: the dependency direction, where Optuna may be imported,
small modules, and a README that links only to files in the repository."""

import ast
import re
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(p for folder in ("bananas", "encodings", "predictors") for p in (ROOT / folder).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module name ``path`` imports, at the top or inside functions (relative imports resolved)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_predictors_and_encodings_keep_to_themselves():
    for path in MODULES:
        imported = {n for n in _imports(path) if n.startswith("bananas")}
        if _rel(path).startswith("predictors/"):
            assert all(n.startswith("bananas.predictors") for n in imported), (path, imported)
        if _rel(path).startswith("encodings/"):
            assert all(n.startswith("bananas.encodings") for n in imported), (path, imported)


def test_nothing_in_the_library_imports_the_cli():
    for path in MODULES:
        if not _rel(path).startswith(("bananas/cli/", "bananas/__main__.py")):
            assert not any(n.startswith("bananas.cli") for n in _imports(path)), path


def test_only_the_glue_listed_in_the_architecture_doc_imports_optuna():
    doc = (ROOT / "docs" / "architecture.md").read_text()
    (line,) = [line for line in doc.splitlines() if line.startswith("Optuna glue:")]
    glue = re.findall(r"`([\w/]+(?:\.py|/))`", line)
    assert glue, line
    for path in MODULES:
        if any(n == "optuna" or n.startswith("optuna.") for n in _imports(path)):
            assert _rel(path).startswith(tuple(glue)), f"{_rel(path)} imports Optuna but is not listed as glue"


def test_modules_are_small():
    lines = {_rel(p): len(p.read_text().splitlines()) for p in MODULES}
    assert max(lines.values()) <= 300, max(lines.items(), key=lambda kv: kv[1])
    assert statistics.median(lines.values()) <= 150


def test_the_readme_links_only_to_files_in_the_repository():
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    local = [t for t in targets if "://" not in t]
    assert local and all((ROOT / t).exists() for t in local), local
    assert "../" not in readme
