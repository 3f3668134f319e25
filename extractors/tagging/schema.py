"""Validation of the watchlist mapping: every rule that makes a watchlist file wrong.

Kept apart from `watchlist.py` so the dataclasses stay readable. Each check raises
`WatchlistError` with the file and a reason a person can act on (which entity, which key).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from extractors.errors import ConfigError
from extractors.tagging.text import key_forms


class WatchlistError(ConfigError):
    """The watchlist file is missing, unparsable or breaks a rule; message has path + reason."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


KINDS = frozenset({"leader", "person", "agreement", "framework", "organisation"})
ORDERS = frozenset({"given-surname", "surname-given"})
TOP_KEYS = frozenset({"schema", "countries", "joint_names", "entities"})
COUNTRY_KEYS = frozenset({"name", "names"})

# key -> type tag; "str" required ones are listed in REQUIRED.
ENTITY_FIELDS: dict[str, str] = {
    "id": "str",
    "kind": "str",
    "name": "str",
    "aliases": "strs",
    "acronyms": "strs",
    "parties": "strs",
    "native": "strs",
    "surname": "str",
    "given": "strs",
    "orders": "strs",
    "distinctive": "bool",
    "titled_only": "bool",
    "titles": "strs",
    "nicknames": "strs",
    "not": "strs",
    "country": "str",
    "variant_of": "str",
    "qualified": "strs",
    "ambiguous": "strs",
    "context": "strs",
    "note": "str",
    "names": "langs",
    "surnames": "langs",
    "senses": "strs",
    "terms": "terms",
}
REQUIRED = ("id", "kind", "name")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CODE = re.compile(r"^[A-Z]{2}$")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
_LANG = re.compile(r"^[a-z]{2,3}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TERM_KEYS = frozenset({"office", "from", "to"})


def check_top(data: Any, source: str) -> None:
    """The document is a mapping with known keys, a country table and an entity list."""
    if not isinstance(data, Mapping):
        raise WatchlistError(source, "top level must be a mapping with 'countries' and 'entities'")
    unknown = sorted(set(map(str, data)) - TOP_KEYS)
    if unknown:
        raise WatchlistError(
            source, f"unknown top-level key(s) {unknown}; allowed {sorted(TOP_KEYS)}"
        )
    if not isinstance(data.get("entities"), list) or not data["entities"]:
        raise WatchlistError(source, "'entities' must be a non-empty list")
    if not isinstance(data.get("countries", {}), Mapping):
        raise WatchlistError(source, "'countries' must be a mapping of ISO code -> {name, names}")


def check_countries(raw: Mapping[Any, Any], source: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Country table: ISO alpha-2 code -> (display name, names that refer to the country)."""
    table: dict[str, tuple[str, tuple[str, ...]]] = {}
    owner: dict[str, str] = {}
    for code, spec in raw.items():
        where = f"country {code!r}"
        if not isinstance(code, str) or not _CODE.match(code):
            raise WatchlistError(source, f"{where}: code must be ISO 3166 alpha-2 like 'JP'")
        if not isinstance(spec, Mapping):
            raise WatchlistError(source, f"{where}: must be a mapping with 'name' and 'names'")
        unknown = sorted(set(map(str, spec)) - COUNTRY_KEYS)
        if unknown:
            raise WatchlistError(source, f"{where}: unknown key(s) {unknown}")
        name = _field(spec, "name", "str", where, source)
        names = _field(spec, "names", "strs", where, source) or (name,)
        if not name:
            raise WatchlistError(source, f"{where}: 'name' is required")
        for phrase in names:
            for key in key_forms(phrase):
                if owner.setdefault(key, code) != code:
                    raise WatchlistError(
                        source, f"{where}: name {phrase!r} is also listed for {owner[key]}"
                    )
        table[code] = (name, tuple(names))
    return table


def check_entity(raw: Any, index: int, source: str) -> dict[str, Any]:
    """One entity: known keys, right types, required fields, valid id/kind/orders/acronyms."""
    where = f"entity #{index + 1}"
    if not isinstance(raw, Mapping):
        raise WatchlistError(source, f"{where}: must be a mapping")
    if isinstance(raw.get("id"), str):
        where = f"entity {raw['id']!r}"
    unknown = sorted(set(map(str, raw)) - set(ENTITY_FIELDS))
    if unknown:
        raise WatchlistError(
            source, f"{where}: unknown key(s) {unknown}; allowed {sorted(ENTITY_FIELDS)}"
        )
    fields = {key: _field(raw, key, kind, where, source) for key, kind in ENTITY_FIELDS.items()}
    for key in REQUIRED:
        if not fields[key]:
            raise WatchlistError(source, f"{where}: '{key}' is required")
    if not _ID.match(fields["id"]):
        raise WatchlistError(source, f"{where}: id must be lower-case kebab-case like 'joe-biden'")
    if fields["kind"] not in KINDS:
        raise WatchlistError(source, f"{where}: kind {fields['kind']!r} not in {sorted(KINDS)}")
    bad_orders = sorted(set(fields["orders"]) - ORDERS)
    if bad_orders:
        raise WatchlistError(source, f"{where}: orders {bad_orders} not in {sorted(ORDERS)}")
    if fields["given"] and not fields["surname"]:
        raise WatchlistError(source, f"{where}: 'given' needs 'surname'")
    for acronym in fields["acronyms"]:
        if not _ACRONYM.match(acronym):
            raise WatchlistError(source, f"{where}: acronym {acronym!r} must be upper-case A-Z/0-9")
    if fields["surnames"] and not fields["surname"]:
        raise WatchlistError(source, f"{where}: 'surnames' needs 'surname'")
    for key in ("aliases", "acronyms", "native", "nicknames", "not", "qualified", "ambiguous",
                "senses"):
        for phrase in fields[key]:
            if not key_forms(phrase):
                raise WatchlistError(source, f"{where}: {key} entry {phrase!r} has no letters")
    return fields


def check_references(
    entities: list[dict[str, Any]], countries: Mapping[str, object], source: str
) -> None:
    """Cross-entity rules: unique ids, known codes, variants point at generic agreements."""
    ids: set[str] = set()
    for fields in entities:
        if fields["id"] in ids:
            raise WatchlistError(source, f"duplicate entity id {fields['id']!r}")
        ids.add(fields["id"])
    by_id = {fields["id"]: fields for fields in entities}
    for fields in entities:
        where = f"entity {fields['id']!r}"
        codes = list(fields["parties"]) + ([fields["country"]] if fields["country"] else [])
        for code in codes:
            if code not in countries:
                raise WatchlistError(source, f"{where}: country code {code!r} not in 'countries'")
        generic = fields["variant_of"]
        if generic:
            target = by_id.get(generic)
            if target is None or target["variant_of"] or target["parties"]:
                raise WatchlistError(
                    source, f"{where}: variant_of {generic!r} must name a generic entity "
                    "(one without parties or variant_of)"
                )
            if len(fields["parties"]) < 2:
                raise WatchlistError(source, f"{where}: a variant needs at least two parties")
        if fields["qualified"] and not fields["parties"]:
            raise WatchlistError(source, f"{where}: 'qualified' aliases need 'parties'")


def check_joint_names(
    raw: Any, countries: Mapping[str, object], source: str
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`joint_names`: phrases that name several countries at once (日豪 = Japan and
    Australia, 한일 = Korea and Japan), phrase -> list of at least two known codes."""
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise WatchlistError(source, "'joint_names' must be a mapping of phrase -> [codes]")
    out: list[tuple[str, tuple[str, ...]]] = []
    for phrase, codes in raw.items():
        where = f"joint name {phrase!r}"
        if not isinstance(phrase, str) or not key_forms(phrase):
            raise WatchlistError(source, f"{where}: must be a phrase with letters")
        if not isinstance(codes, list) or len(codes) < 2:
            raise WatchlistError(source, f"{where}: needs a list of at least two country codes")
        for code in codes:
            if code not in countries:
                raise WatchlistError(source, f"{where}: country code {code!r} not in 'countries'")
        out.append((phrase, tuple(codes)))
    return tuple(out)


def check_alias_owners(claims: list[tuple[str, str, str]], source: str) -> None:
    """No normalised alias may belong to two entities: (entity id, field, phrase) claims."""
    owner: dict[str, tuple[str, str]] = {}
    for entity_id, field, phrase in claims:
        for key in key_forms(phrase):
            previous = owner.setdefault(key, (entity_id, phrase))
            if previous[0] != entity_id:
                raise WatchlistError(
                    source,
                    f"alias {phrase!r} ({field}) of {entity_id!r} is already claimed by "
                    f"{previous[0]!r} as {previous[1]!r}",
                )


def _field(raw: Mapping[Any, Any], key: str, kind: str, where: str, source: str) -> Any:
    """Read one typed field with its default; wrong types are errors, not silent casts."""
    value = raw.get(key)
    if kind == "langs":
        return _langs(value, key, where, source)
    if kind == "terms":
        return _terms(value, where, source)
    if kind == "bool":
        if value is None:
            return False
        if not isinstance(value, bool):
            raise WatchlistError(source, f"{where}: '{key}' must be true or false")
        return value
    if kind == "str":
        if value is None:
            return ""
        if not isinstance(value, str):
            raise WatchlistError(source, f"{where}: '{key}' must be a string")
        return value.strip()
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise WatchlistError(source, f"{where}: '{key}' must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _langs(value: Any, key: str, where: str, source: str) -> tuple[tuple[str, str], ...]:
    """`names`/`surnames`: language code -> phrase or list of phrases, as (lang, phrase)."""
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise WatchlistError(source, f"{where}: '{key}' must map a language code to names")
    out: list[tuple[str, str]] = []
    for lang, phrases in value.items():
        if not isinstance(lang, str) or not _LANG.match(lang):
            raise WatchlistError(source, f"{where}: '{key}' language {lang!r} is not like 'ja'")
        items = [phrases] if isinstance(phrases, str) else phrases
        if not isinstance(items, list) or not all(isinstance(p, str) and key_forms(p)
                                                  for p in items):
            raise WatchlistError(source, f"{where}: '{key}.{lang}' must be names with letters")
        out += [(lang, p.strip()) for p in items]
    return tuple(out)


def _terms(value: Any, where: str, source: str) -> tuple[tuple[str, str, str], ...]:
    """`terms`: [{office, from, to?}] with ISO dates; (office, from, to or "")."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise WatchlistError(source, f"{where}: 'terms' must be a list of {{office, from, to}}")
    out: list[tuple[str, str, str]] = []
    for term in value:
        if not isinstance(term, Mapping) or set(map(str, term)) - TERM_KEYS:
            raise WatchlistError(source, f"{where}: each term is {{office, from, to}} only")
        # YAML reads 2021-10-04 as a date; str() of it is the ISO form again.
        office, start, end = (str(term.get(k) or "") for k in ("office", "from", "to"))
        if not office or not _DATE.match(start) or (end and not _DATE.match(end)):
            raise WatchlistError(
                source, f"{where}: term needs 'office' and dates like 2021-10-04 ({dict(term)})"
            )
        if end and end < start:
            raise WatchlistError(source, f"{where}: term of {office!r} ends before it starts")
        out.append((office, start, end))
    return tuple(out)
