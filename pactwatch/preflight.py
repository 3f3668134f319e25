"""Check the configuration files a command needs before anything runs (no flow, no Prefect).

Every problem is one `ConfigError` whose message is one line naming the file, the line and
the problem: a YAML syntax error, a tag that safe loading refuses (`!!python/object`), an
anchor bomb (aliases that would expand past `MAX_NODES`), or whatever the file's own loader
refuses. Flows then start only with files that load, so a bad file never reaches Prefect's
error logging.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from extractors.errors import ConfigError
from extractors.listings.sources import load_sources
from extractors.tagging.watchlist import load_watchlist
from pactwatch.settings import Settings

MAX_NODES = 100_000  # a YAML document expanding (aliases followed) past this is refused


def check(
    settings: Settings,
    *,
    sources: Path | None = None,
    watchlist: bool = False,
    recipients: bool = False,
) -> None:
    """Read, scan and load each named file; raise ConfigError (one line) on the first problem."""
    if sources is not None:
        load_sources(scan(sources))
    if watchlist:
        load_watchlist(scan(settings.watchlist_file))
    if recipients:
        from pactwatch.digest.recipients import load_recipients

        load_recipients(scan(settings.recipients_file))


def scan(path: Path) -> Path:
    """Refuse `path` unless it is readable YAML that safe loading accepts and that stays
    small once its aliases are expanded. Returns `path`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        for node in yaml.compose_all(text, Loader=yaml.SafeLoader):
            if node is not None:
                _expanded(node, {}, path)
        list(yaml.safe_load_all(text))
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(yaml_problem(path, exc)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {one_line(str(exc))}") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to be a configuration file") from None
    return path


def _expanded(node: Node, sizes: dict[int, int], path: Path) -> int:
    """How many nodes `node` stands for once every alias is followed (shared nodes counted
    each time they are used); raise ConfigError past MAX_NODES."""
    if id(node) in sizes:
        if sizes[id(node)] < 0:
            raise ConfigError(f"{path}: line {node.start_mark.line + 1}: alias refers to itself")
        return sizes[id(node)]
    sizes[id(node)] = -1
    size = 1
    if isinstance(node, SequenceNode):
        size += sum(_expanded(child, sizes, path) for child in node.value)
    elif isinstance(node, MappingNode):
        size += sum(_expanded(k, sizes, path) + _expanded(v, sizes, path) for k, v in node.value)
    if size > MAX_NODES:
        raise ConfigError(
            f"{path}: line {node.start_mark.line + 1}: aliases expand to over {MAX_NODES} "
            "values (an anchor bomb?); refused"
        )
    sizes[id(node)] = size
    return size


def yaml_problem(path: Path | str, exc: yaml.MarkedYAMLError) -> str:
    """'<path>: line L, column C: <problem>' for a YAML error, on one line."""
    mark = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    problem = " ".join(p for p in (exc.context, exc.problem) if p) or str(exc)
    return f"{path}: {where}{one_line(problem)}"


def one_line(text: str) -> str:
    """Whitespace (newlines included) collapsed to single spaces."""
    return re.sub(r"\s+", " ", text).strip()


def describe(exc: Exception) -> str:
    """A pactwatch error as the one line the CLI prints: a YAML error behind it is given
    with its file, line and column."""
    cause = exc.__cause__ or exc.__context__
    message = str(exc)
    if isinstance(cause, yaml.MarkedYAMLError) and ": " in message:
        return yaml_problem(message.split(": ", 1)[0], cause)
    return one_line(message)
