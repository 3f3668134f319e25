"""Who receives the digest: `config/recipients.yaml`, validated at the edge.

    recipients:
      - address: analyst@example.org
      - address: raa-desk@example.org
        name: RAA desk
        entities: [raa-japan-australia, raa-japan-uk]

A recipient without `entities` gets every section; with it, only those entities' sections.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from extractors.errors import ConfigError

_ADDRESS = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


class Recipient(BaseModel):
    """One person or list that gets the digest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str = Field(description="A bare email address, e.g. analyst@example.org.")
    name: str = Field("", description="Display name for the To: header.")
    entities: tuple[str, ...] | None = Field(
        None, description="Entity ids this recipient tracks; absent means all."
    )

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip()
        if not _ADDRESS.match(value):
            raise ValueError(f"not an email address: {value!r}")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return " ".join(value.split())  # no CR/LF can reach a header

    @field_validator("entities")
    @classmethod
    def _entities(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and not value:
            raise ValueError("an empty entity list would send an empty digest; omit it")
        return None if value is None else tuple(sorted(set(value)))

    @property
    def key(self) -> str:
        """The address as compared across runs (case-insensitive)."""
        return self.address.lower()

    @property
    def audience(self) -> str:
        """Which digest this recipient gets: "all", or its sorted entity ids."""
        return "all" if self.entities is None else ",".join(self.entities)

    @property
    def slug(self) -> str:
        """A file-name-safe form of the address: analyst@example.org -> analyst-at-example-org."""
        return re.sub(r"[^a-z0-9]+", "-", self.key.replace("@", "-at-")).strip("-")


def load_recipients(path: Path) -> list[Recipient]:
    """Read and validate the recipients file.

    Raises ConfigError naming the file and entry when it is missing, not YAML, or an entry is
    invalid (bad address, unknown key, empty entity list, duplicate address).
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: recipients file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    entries = (data or {}).get("recipients") if isinstance(data, dict | None) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: expected a top-level 'recipients:' list")
    recipients: list[Recipient] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        if isinstance(entry, str):
            entry = {"address": entry}
        try:
            recipient = Recipient.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "entry"
            raise ConfigError(f"{path}: recipient {i + 1}: {where}: {first['msg']}") from None
        if recipient.key in seen:
            raise ConfigError(f"{path}: recipient {i + 1}: {recipient.address} listed twice")
        seen.add(recipient.key)
        recipients.append(recipient)
    return recipients


def check_entities(recipients: Iterable[Recipient], known: Iterable[str], path: Path) -> None:
    """Raise ConfigError when a recipient's filter names an entity the watchlist lacks."""
    ids = set(known)
    for r in recipients:
        unknown = sorted(set(r.entities or ()) - ids)
        if unknown:
            raise ConfigError(
                f"{path}: recipient {r.address}: unknown entities {', '.join(unknown)}"
                " (not in the watchlist)"
            )
