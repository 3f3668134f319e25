"""Guard rails for the layout (issue 15): the layer contracts in pyproject.toml hold, and
modules and functions stay small enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("pactwatch", "extractors", "storage", "flows")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# Alembic revisions are schema listings written once and never edited: not held to the limit.
EXEMPT = ("storage/migrations/versions/",)


def _modules() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if not str(path.relative_to(ROOT)).startswith(EXEMPT)
    )


def test_layer_contracts_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    """extractors < storage < pactwatch < flows, and the extractor stages stay apart."""
    monkeypatch.chdir(ROOT)
    assert lint_imports(no_cache=True, no_logo=True) == 0


def test_modules_and_functions_are_small() -> None:
    too_long: list[str] = []
    for path in _modules():
        source = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT)
        if (lines := len(source.splitlines())) > MAX_MODULE_LINES:
            too_long.append(f"{name}: {lines} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    assert not too_long, "split these:\n" + "\n".join(too_long)
