"""Near-duplicate fingerprints: edited copies of one story match, different stories do not."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest

from extractors import similarity
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


def _plain_simhash(text: str) -> int:
    """The textbook SimHash, one bit at a time: what `fingerprint` must equal."""
    words = similarity._words(text)
    grams = [" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))]
    weights = [0] * 64
    for gram in filter(None, grams):
        bits = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "big")
        for i in range(64):
            weights[i] += 1 if bits >> i & 1 else -1
    return sum(1 << i for i, w in enumerate(weights) if w > 0)


@pytest.mark.parametrize("seed", range(5))
def test_fingerprint_equals_the_bit_by_bit_simhash(seed: int) -> None:
    rng = random.Random(seed)
    vocabulary = ["Kishida", "Kishida.", "Quad", "access", "agreement", "Manila", "東京", "é"]
    texts = ["", "one", "one two", "one two three", "a b a b a b a b"]
    texts += [" ".join(rng.choices(vocabulary, k=rng.randint(0, 400))) for _ in range(20)]
    for text in texts:
        assert similarity.fingerprint(text) == _plain_simhash(text), text[:60]
