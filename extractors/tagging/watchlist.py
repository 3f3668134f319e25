"""The watchlist: tracked leaders, agreements and frameworks, loaded from config/watchlist.yaml.

Users edit the YAML, not code. Loading validates everything up front (see
`watchlist_schema`) so a typo fails loudly at start-up instead of silently tagging nothing.
`Watchlist.version` is a short hash of the parsed content (not of the file bytes, so comments
and layout do not count); it is stored with each tagging so old articles can be re-tagged when
the watchlist changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from extractors.tagging.schema import (
    WatchlistError,
    check_alias_owners,
    check_countries,
    check_entity,
    check_joint_names,
    check_references,
    check_top,
)
from extractors.tagging.text import key_forms

__all__ = [
    "Country",
    "Entity",
    "Watchlist",
    "WatchlistError",
    "default_watchlist_path",
    "load_watchlist",
    "parse_watchlist",
]


@dataclass(frozen=True)
class Country:
    """A country code with its display name and the names that refer to it in text."""

    code: str
    name: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Entity:
    """One tracked thing. Tuple fields are empty when the YAML leaves them out."""

    id: str
    kind: str
    name: str
    aliases: tuple[str, ...] = ()
    acronyms: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()
    native: tuple[str, ...] = ()
    surname: str = ""
    given: tuple[str, ...] = ()
    orders: tuple[str, ...] = ()
    distinctive: bool = False
    titled_only: bool = False  # the surname alone never counts ("Lee"): only with a title
    titles: tuple[str, ...] = ()
    nicknames: tuple[str, ...] = ()
    not_phrases: tuple[str, ...] = ()
    country: str = ""
    variant_of: str = ""
    qualified: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    note: str = ""
    party_names: tuple[str, ...] = ()
    names: tuple[tuple[str, str], ...] = ()  # (language, name as that press writes it)
    surnames: tuple[tuple[str, str], ...] = ()  # (language, surname as written there)
    senses: tuple[str, ...] = ()  # other senses: anywhere in an article, no acronym counts
    terms: tuple[tuple[str, str, str], ...] = ()  # (office, from, to or "") ISO dates

    def in_office(self, day: str) -> bool:
        """Whether the person held a tracked office on `day` (ISO date); True without terms."""
        if not self.terms or not day:
            return True
        return any(start <= day and (not end or day < end) for _, start, end in self.terms)

    def held_office_by(self, day: str) -> bool:
        """Whether a tracked term had begun by `day`: an office title after it can be a look
        back ("the Biden administration" in 2026); before it, the title names someone else."""
        return not self.terms or not day or any(start <= day for _, start, _ in self.terms)

    @property
    def label(self) -> str:
        """Display name; agreements with parties add them.

        e.g. "Reciprocal Access Agreement — Japan–Philippines".
        """
        if self.kind == "agreement" and self.party_names:
            return f"{self.name} — {'–'.join(self.party_names)}"
        return self.name

    @property
    def full_names(self) -> tuple[str, ...]:
        """Explicit aliases plus names built from given names and surname in each order."""
        built: list[str] = []
        orders = self.orders or ("given-surname",)
        for given in self.given:
            for order in orders:
                parts = (given, self.surname) if order == "given-surname" else (self.surname, given)
                built.append(" ".join(parts))
        local = (name for _, name in self.names)
        return tuple(
            dict.fromkeys((*self.aliases, *built, *self.nicknames, *self.native, *local))
        )


@dataclass(frozen=True)
class Watchlist:
    """Validated entities plus the country table; `version` = short sha256 of the content."""

    entities: tuple[Entity, ...]
    version: str
    countries: tuple[Country, ...] = ()
    joint_names: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def get(self, entity_id: str) -> Entity:
        """The entity with this id; KeyError names the id when it is not tracked."""
        for entity in self.entities:
            if entity.id == entity_id:
                return entity
        raise KeyError(f"no entity {entity_id!r} in watchlist {self.version}")

    def country(self, code: str) -> Country:
        for country in self.countries:
            if country.code == code:
                return country
        raise KeyError(f"no country {code!r} in watchlist {self.version}")


def default_watchlist_path() -> Path:
    """<repo>/config/watchlist.yaml, found relative to this module."""
    return Path(__file__).resolve().parents[2] / "config" / "watchlist.yaml"


def load_watchlist(path: str | Path) -> Watchlist:
    """Read and validate a watchlist file.

    Raises WatchlistError (a ConfigError) naming the path and the reason.
    """
    source = str(path)
    try:
        raw_text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WatchlistError(source, f"cannot read watchlist: {exc}") from exc
    try:
        data = yaml.safe_load(raw_text)
    except yaml.YAMLError as exc:
        raise WatchlistError(source, f"not valid YAML: {exc}") from exc
    return parse_watchlist(data, source)


def parse_watchlist(data: Any, source: str = "<watchlist>") -> Watchlist:
    """Validate an already-parsed mapping (used by the loader, tests and the benchmark)."""
    check_top(data, source)
    countries = check_countries(data.get("countries") or {}, source)
    fields = [check_entity(raw, i, source) for i, raw in enumerate(data["entities"])]
    check_references(fields, countries, source)
    joint = check_joint_names(data.get("joint_names"), countries, source)
    entities = tuple(_entity(f, countries) for f in fields)
    check_alias_owners(_claims(entities), source)
    _check_not_phrases(entities, source)
    table = tuple(Country(code, name, names) for code, (name, names) in countries.items())
    return Watchlist(
        entities=entities, version=content_version(data), countries=table, joint_names=joint
    )


def content_version(data: Mapping[str, Any]) -> str:
    """Short sha256 of the canonical JSON of the parsed content (layout and comments ignored)."""
    canonical = json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def _entity(fields: dict[str, Any], countries: Mapping[str, tuple[str, Any]]) -> Entity:
    values = {k: v for k, v in fields.items() if k != "not"}
    party_names = tuple(countries[code][0] for code in fields["parties"])
    return Entity(**values, not_phrases=fields["not"], party_names=party_names)


def _claims(entities: tuple[Entity, ...]) -> list[tuple[str, str, str]]:
    """Every phrase that makes a mention, with its owner: must be unique across entities."""
    claims: list[tuple[str, str, str]] = []
    for e in entities:
        claims += [(e.id, "alias", p) for p in e.full_names]
        claims += [(e.id, "acronym", p) for p in e.acronyms]
        claims += [(e.id, "qualified", p) for p in e.qualified]
        claims += [(e.id, "ambiguous", p) for p in e.ambiguous]
        if e.surname:
            claims.append((e.id, "surname", e.surname))
        claims += [(e.id, "surname", p) for _, p in e.surnames]
    return claims


def _check_not_phrases(entities: tuple[Entity, ...], source: str) -> None:
    """A `not` phrase equal to one of the entity's own aliases would silence it entirely."""
    for e in entities:
        phrases = (*e.full_names, *e.acronyms, *e.ambiguous, *e.qualified)
        own = {key for phrase in phrases for key in key_forms(phrase)}
        if e.surname:
            own |= key_forms(e.surname)
        for phrase in e.not_phrases:
            if key_forms(phrase) & own:
                raise WatchlistError(
                    source, f"entity {e.id!r}: 'not' phrase {phrase!r} is one of its aliases"
                )
