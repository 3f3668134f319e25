"""Near-duplicate fingerprints: edited copies of one story match, different stories do not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors.similarity import fingerprint, hamming, normalised_title, same_story

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS} (checked out alone)"
)


def _edited(text: str) -> str:
    """A republished copy: new header lines, one paragraph dropped, curly quotes."""
    paragraphs = text.split("\n\n")[3:]
    del paragraphs[4]
    body = "\n\n".join(paragraphs).replace('"', "\u201c").replace("'", "\u2019")
    return "Originally published by CSIS.\n\nBy the Senior Fellow, Japan Chair\n\n" + body


def test_fingerprint_is_64_bit_and_stable() -> None:
    value = fingerprint("The Quad leaders met in Tokyo on Tuesday.")
    assert 0 <= value < 2**64
    assert value == fingerprint("the QUAD leaders met in Tokyo, on Tuesday!")
    assert hamming(value, value) == 0
    assert hamming(0, 2**64 - 1) == 64


def test_normalised_title_ignores_case_accents_and_quotes() -> None:
    assert normalised_title("Kishida’s “Verdun” Spirit — Revisited") == normalised_title(
        "kishida's \"verdun\" spirit: revisited"
    )
    assert normalised_title("Élysée Treaty") == "elysee treaty"


@needs_corpus
def test_seed_and_edited_copy_are_one_story() -> None:
    seed = next((CORPUS / "seed").glob("*.txt")).read_text(encoding="utf-8")
    copy = _edited(seed)
    assert same_story(
        fingerprint(seed),
        fingerprint(copy),
        "Kishida Channels Verdun Spirit in Response to Global Security Challenges",
        "Kishida channels ‘Verdun spirit’ in response to global security challenges",
    )
    assert same_story(fingerprint(seed), fingerprint(copy))  # close enough without titles


@needs_corpus
def test_different_articles_are_not_one_story() -> None:
    truth = json.loads((CORPUS / "extraction-benchmark" / "ground-truth.json").read_text())
    texts = [item["articleBody"] for item in truth.values()][:12]
    seed = next((CORPUS / "seed").glob("*.txt")).read_text(encoding="utf-8")
    prints = [fingerprint(t) for t in [seed, *texts]]
    for i, a in enumerate(prints):
        for b in prints[i + 1 :]:
            assert not same_story(a, b, "Markets rally", "Markets rally")


def test_similar_titles_do_not_link_unrelated_texts() -> None:
    a = fingerprint("Prime Minister Kishida met President Biden to discuss the alliance. " * 5)
    b = fingerprint("A storm closed schools across the region for the second day running. " * 5)
    assert not same_story(a, b, "Leaders meet", "Leaders meet")
