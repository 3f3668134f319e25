"""Watchlist loading and validation: the default file, versions, and every error users hit."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from extractors.errors import ConfigError
from extractors.tagging.watchlist import (
    Watchlist,
    WatchlistError,
    default_watchlist_path,
    load_watchlist,
    parse_watchlist,
)

REQUIRED_IDS = {
    "shigeru-ishiba",
    "sanae-takaichi",
    "donald-trump",
    "lee-jae-myung",
    "squad",
    "fumio-kishida",
    "joe-biden",
    "yoon-suk-yeol",
    "ferdinand-marcos-jr",
    "anthony-albanese",
    "narendra-modi",
    "raa-japan-australia",
    "raa-japan-uk",
    "raa-japan-philippines",
    "reciprocal-access-agreement",
    "japan-australia-security-declaration",
    "official-security-assistance",
    "quad",
    "free-and-open-indo-pacific",
}


@pytest.fixture(scope="module")
def default() -> Watchlist:
    return load_watchlist(default_watchlist_path())


@pytest.fixture()
def raw() -> dict[str, Any]:
    return yaml.safe_load(default_watchlist_path().read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "watchlist.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _entity(data: dict[str, Any], entity_id: str) -> dict[str, Any]:
    return next(e for e in data["entities"] if e["id"] == entity_id)


def test_default_path_is_repo_config() -> None:
    path = default_watchlist_path()
    assert path == Path(__file__).resolve().parents[1] / "config" / "watchlist.yaml"
    assert path.is_file()


def test_default_ids_and_kinds(default: Watchlist) -> None:
    assert {e.id for e in default.entities} == REQUIRED_IDS
    kinds = {e.id: e.kind for e in default.entities}
    assert kinds["fumio-kishida"] == "leader"
    assert kinds["raa-japan-uk"] == "agreement"
    assert {kinds[i] for i in ("official-security-assistance", "quad")} == {"framework"}
    assert kinds["free-and-open-indo-pacific"] == "framework"


def test_agreement_parties_and_labels(default: Watchlist) -> None:
    raa = default.get("raa-japan-philippines")
    assert raa.parties == ("JP", "PH")
    assert raa.label == "Reciprocal Access Agreement — Japan–Philippines"
    assert default.get("raa-japan-australia").parties == ("JP", "AU")
    assert default.get("raa-japan-uk").parties == ("JP", "GB")
    assert default.get("japan-australia-security-declaration").parties == ("JP", "AU")
    assert default.get("fumio-kishida").label == "Fumio Kishida"
    assert default.get("reciprocal-access-agreement").label == "Reciprocal Access Agreement"


def test_people_fields(default: Watchlist) -> None:
    kishida = default.get("fumio-kishida")
    assert "岸田文雄" in kishida.native
    assert {"Fumio Kishida", "Kishida Fumio"} <= set(kishida.full_names)
    assert kishida.surname == "Kishida" and kishida.distinctive
    assert "윤석열" in default.get("yoon-suk-yeol").native
    assert not default.get("ferdinand-marcos-jr").distinctive
    assert "Imelda Marcos" in default.get("ferdinand-marcos-jr").not_phrases


def test_country_table(default: Watchlist) -> None:
    assert {"Japan", "Japanese", "Tokyo"} <= set(default.country("JP").names)
    assert {"United Kingdom", "UK", "Britain", "British", "London"} <= set(
        default.country("GB").names
    )
    assert {"Philippines", "Philippine", "Filipino", "Manila"} <= set(default.country("PH").names)


def test_get_unknown_id_raises_key_error(default: Watchlist) -> None:
    with pytest.raises(KeyError, match="no-such"):
        default.get("no-such")


def test_version_ignores_layout_and_tracks_content(
    tmp_path: Path, raw: dict[str, Any], default: Watchlist
) -> None:
    assert len(default.version) == 12
    commented = tmp_path / "commented.yaml"
    commented.write_text(
        "# a comment\n" + default_watchlist_path().read_text(encoding="utf-8"), encoding="utf-8"
    )
    assert load_watchlist(commented).version == default.version
    assert load_watchlist(_write(tmp_path, raw)).version == default.version
    changed = copy.deepcopy(raw)
    _entity(changed, "quad")["context"].append("Malabar")
    assert load_watchlist(_write(tmp_path, changed)).version != default.version


def test_errors_are_config_errors_with_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match="nope.yaml"):
        load_watchlist(missing)
    broken = tmp_path / "broken.yaml"
    broken.write_text("entities: [\n", encoding="utf-8")
    with pytest.raises(WatchlistError, match=r"broken\.yaml: not valid YAML"):
        load_watchlist(broken)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(extra=1), "unknown top-level key"),
        (lambda d: _entity(d, "quad").update(colour="blue"), r"entity 'quad': unknown key.*colour"),
        (lambda d: d["entities"].append(dict(_entity(d, "quad"))), "duplicate entity id 'quad'"),
        (
            lambda d: _entity(d, "joe-biden")["aliases"].append("Fumio Kishida"),
            "'Fumio Kishida'.*already claimed by 'fumio-kishida'|claimed by 'joe-biden'",
        ),
        (
            lambda d: _entity(d, "narendra-modi").update(acronyms=["OSA"]),
            "already claimed",
        ),
        (lambda d: _entity(d, "quad").update(kind="alliance"), "kind 'alliance' not in"),
        (lambda d: _entity(d, "raa-japan-uk").update(parties=["JP", "XX"]), "'XX' not in"),
        (lambda d: _entity(d, "raa-japan-uk").update(parties=["JP", "gbr"]), "not in 'countries'"),
        (lambda d: _entity(d, "raa-japan-uk").update(variant_of="quad"), "variant_of 'quad'"),
        (lambda d: _entity(d, "quad").pop("name"), "'name' is required"),
        (lambda d: _entity(d, "quad").update(id="Quad Dialogue"), "kebab-case"),
        (lambda d: _entity(d, "quad").update(aliases="x" and [1]), "list of non-empty strings"),
        (lambda d: _entity(d, "joe-biden").update(distinctive="yes"), "true or false"),
        (lambda d: _entity(d, "official-security-assistance").update(acronyms=["osa"]), "acronym"),
        (lambda d: _entity(d, "quad")["not"].append("Quad"), "'not' phrase 'Quad'"),
        (lambda d: _entity(d, "joe-biden").update(orders=["family-first"]), "orders"),
        (lambda d: d["countries"].update(XJ={"name": "X", "names": ["Tokyo"]}), "also listed"),
        (lambda d: d.update(entities=[]), "non-empty list"),
    ],
)
def test_validation_errors(tmp_path: Path, raw: dict[str, Any], mutate: Any, message: str) -> None:
    mutate(raw)
    path = _write(tmp_path, raw)
    with pytest.raises(WatchlistError, match=message) as info:
        load_watchlist(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ConfigError)


def test_parse_minimal_mapping() -> None:
    watchlist = parse_watchlist(
        {"entities": [{"id": "aukus", "kind": "framework", "name": "AUKUS", "aliases": ["AUKUS"]}]}
    )
    assert watchlist.get("aukus").aliases == ("AUKUS",)
    assert watchlist.countries == ()
