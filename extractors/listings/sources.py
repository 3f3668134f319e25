"""Sources to watch, declared as data in `config/sources.yaml`.

A source is a name plus where to discover its articles (feeds, sitemaps, a front page) and how
politely to fetch from its host. Adding a source never needs code.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from extractors.errors import ConfigError


class Source(BaseModel):
    """One publication and the places its new articles are announced."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    homepage: str | None = None
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    concurrency: int = Field(2, ge=1, le=32)
    delay: float = Field(1.0, ge=0)
    window_days: int = Field(7, ge=1)
    max_new_per_run: int = Field(
        200,
        ge=1,
        description="New articles taken from this source per ingest run, newest first; the "
        "rest wait for the next run, so one flooding source cannot starve the others.",
    )
    archive: str | None = Field(
        None,
        description="Archive page URL pattern for backfills, e.g. https://x/archive/{day:%Y/%m/%d}/",
    )
    language: str | None = Field(
        None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
        description="Main language of the articles, a BCP 47 tag (en, ja, ko, fil, hi); optional",
    )
    country: str | None = Field(
        None, pattern=r"^[A-Z]{2}$", description="Where the outlet is based, ISO 3166 alpha-2",
    )


def load_sources(path: str | Path) -> list[Source]:
    """Read and validate a sources file.

    Raises ConfigError with the path and the first problem found (missing file, bad YAML,
    unknown key, duplicate name, a source with nowhere to discover articles).
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read sources file: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    entries = (data or {}).get("sources") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: expected a top-level 'sources:' list")
    sources: list[Source] = []
    for index, entry in enumerate(entries):
        try:
            source = Source.model_validate(entry)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise ConfigError(f"{path}: source #{index + 1} {where}: {err['msg']}") from None
        if not (source.feeds or source.sitemaps or source.homepage):
            raise ConfigError(f"{path}: source {source.name!r} has no feeds, sitemaps or homepage")
        if any(s.name == source.name for s in sources):
            raise ConfigError(f"{path}: duplicate source name {source.name!r}")
        sources.append(source)
    return sources


def choose_sources(configured: list[Source], wanted: list[str], where: Path) -> list[Source]:
    """The sources named in `wanted` (all when none is), in the file's order. Raises
    ConfigError for a name the file `where` lacks: a run started from the UI, or a shard of a
    fanned-out ingest, names sources that the file this worker reads must hold."""
    if not wanted:
        return configured
    known = {s.name for s in configured}
    if unknown := sorted(set(wanted) - known):
        raise ConfigError(f"unknown sources {unknown}: the sources file this worker reads "
                          f"({where}) names {sorted(known)}")
    return [s for s in configured if s.name in wanted]
