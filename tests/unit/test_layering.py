"""Product and operations code never imports the tests: the harness pieces they share live in local/."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What ships or runs outside a test run: the functions and their layer, the CDK app, make serve,
# the operations tooling (restore drill, replay, bots' registration).
NOT_TESTS = ("functions", "layers", "cdk", "local", "ops", "scripts", "app.py")


def _imports_of_tests(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
        found += [f"{path.relative_to(root)}:{node.lineno} imports {n}" for n in names
                  if n == "tests" or n.startswith("tests.")]
    return found


def test_no_product_or_operations_module_imports_the_tests():
    files = [p for top in NOT_TESTS for p in ((ROOT / top).rglob("*.py") if (ROOT / top).is_dir() else [ROOT / top])]
    assert len(files) > 50
    assert [line for f in files for line in _imports_of_tests(f)] == []


def test_the_check_sees_an_import_of_the_tests(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text("import os\nfrom local.seed import seed\n\ndef f():\n    from tests.support.apigw import build_event\n")
    assert _imports_of_tests(module, tmp_path) == ["probe.py:5 imports tests.support.apigw"]



LAYER = ROOT / "layers" / "foodshare" / "python" / "foodshare"
# No import runs back up the layers: the domain and the data access know nothing of the adapters above them (the
# API, the bots) or of the cache, which the functions wire in as hooks where they are assembled.
BELOW = {"domain": ("foodshare.api", "foodshare.bots", "foodshare.cache"),
         "data": ("foodshare.api", "foodshare.bots", "foodshare.cache", "foodshare.domain")}


def _imports_up(path: Path, above: tuple[str, ...], root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found += [f"{path.relative_to(root)}:{node.lineno} imports {n}" for n in names
                  if any(n == up or n.startswith(up + ".") for up in above)]
    return found


def test_the_domain_and_the_data_access_import_nothing_above_them():
    found = [line for layer, above in BELOW.items() for path in sorted((LAYER / layer).rglob("*.py"))
             for line in _imports_up(path, above)]
    assert len(list((LAYER / "domain").rglob("*.py"))) > 20
    assert found == []


def test_the_layer_check_sees_an_import_from_above(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text("from foodshare import cache, ids\nimport foodshare.api.views\n\ndef f():\n"
                      "    from foodshare.bots import rendering\n")
    assert _imports_up(module, BELOW["domain"], tmp_path) == [
        "probe.py:1 imports foodshare.cache", "probe.py:2 imports foodshare.api.views",
        "probe.py:5 imports foodshare.bots", "probe.py:5 imports foodshare.bots.rendering"]
