"""Guard rails for the layout (issue 15): the layer contracts in pyproject.toml hold, and
modules and functions stay small enough to read."""

from __future__ import annotations

import ast
import logging
import re
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
    enabled = [logger for logger in logging.root.manager.loggerDict.values()
               if isinstance(logger, logging.Logger) and not logger.disabled]
    try:
        assert lint_imports(no_cache=True, no_logo=True) == 0
    finally:  # its logging set-up disables every logger that exists: later tests log again
        for logger in enabled:
            logger.disabled = False


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


# SQL constructs: importing one outside storage/ means a statement is being written there.
SQL_NAMES = {"select", "insert", "update", "delete", "text", "func", "and_", "or_", "col"}
SQL_TEXT = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b")
SQL_PENDING: dict[str, set[str]] = {}  # files allowed SQL names for now: none


def _sql_in(path: Path) -> list[str]:
    name = str(path.relative_to(ROOT))
    allowed = SQL_PENDING.get(name, set())
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
            "sqlalchemy",
            "sqlmodel",
        ):
            if "dialects" in (node.module or ""):
                found.append(f"{name}:{node.lineno} imports {node.module}")
            found += [
                f"{name}:{node.lineno} imports {alias.name}"
                for alias in node.names
                if alias.name in SQL_NAMES - allowed
            ]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if SQL_TEXT.search(node.value):
                found.append(f"{name}:{node.lineno} SQL text")
    return found


def test_sql_is_written_only_in_storage() -> None:
    paths = [p for p in _modules() if p.relative_to(ROOT).parts[0] in ("pactwatch", "flows")]
    found = [line for path in paths for line in _sql_in(path)]
    assert not found, "move these statements into storage/:\n" + "\n".join(found)


def test_no_flow_task_retries_on_top_of_the_database_retry() -> None:
    """One retry policy per call path (docs/guarantees.md): database calls are retried by
    `storage.db.retrying`, HTTP requests by the fetcher; Prefect retries neither again."""
    found = []
    for path in (ROOT / "flows").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg in ("retries", "retry_delay_seconds"):
                found.append(f"{path.relative_to(ROOT)}:{node.value.lineno}")
    assert not found, "a second retry policy: " + ", ".join(found)
