"""Accuracy of the tagger on real passages (../shared/corpus/tagging-real), split tune / check.

Imported by bench_tagging.py (run that). The development set is third-party text: it is read
from the shared corpus at run time and never copied into the repository.

The split is by passage id and fixed: sha1(id) even -> TUNE (look at its errors while
developing), odd -> CHECK (measure only). Gains that show on TUNE but not on CHECK were fitted
to passages, not general.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def shared_corpus() -> Path:
    """../shared/corpus from the checkout, or from the repository a worktree belongs to."""
    for parent in Path(__file__).resolve().parents[1:]:
        if (parent / "shared" / "corpus").is_dir():
            return parent / "shared" / "corpus"
    return Path(__file__).resolve().parents[2] / "shared" / "corpus"


REAL = shared_corpus() / "tagging-real" / "passages.json"
Counts = dict[str, int]


def half(doc_id: str) -> str:
    """TUNE or CHECK, fixed by the sha1 of "pactwatch" + passage id (last byte even = TUNE).
    The salt was picked, before any tuning, among four for the most even split by language
    (tune: en 16, ja 7, ko 5, tl 2, traps 11; check: en 14, ja 5, ko 5, tl 1, traps 9)."""
    digest = hashlib.sha1(f"pactwatch{doc_id}".encode()).digest()
    return "tune" if digest[-1] % 2 == 0 else "check"


def load_real(path: Path = REAL) -> dict[str, Any] | None:
    """The development set, or None when the shared corpus is not mounted."""
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@dataclass
class Score:
    """Document x entity confusion counts plus exact-count agreement."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    exact: int = 0
    pairs: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, doc_id: str, gold: Counts, got: Counts) -> None:
        for entity in sorted(set(gold) | set(got)):
            g, p = gold.get(entity, 0), got.get(entity, 0)
            self.pairs += 1
            self.exact += g == p
            self.tp += g > 0 and p > 0
            self.fp += g == 0 and p > 0
            self.fn += g > 0 and p == 0
            if g != p:
                self.errors.append(f"{doc_id} {entity}: gold {g} got {p}")

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def line(self) -> str:
        return (f"P {self.precision:.3f}  R {self.recall:.3f}  F1 {self.f1:.3f}  "
                f"exact {self.exact}/{self.pairs} ({self.exact / max(1, self.pairs):.0%})")


def predicted(tag: Callable[[str], list[Any]], text: str, scored: set[str]) -> Counts:
    counts = Counter(m.entity for m in tag(text) if m.entity in scored)
    return dict(counts)


def evaluate(data: dict[str, Any], tag: Callable[[str], list[Any]], show: str = "tune") -> None:
    """Print P/R/F1, exact counts, per-language F1 and trap false positives per half.

    `show` names the half whose per-document errors are printed ("tune", "check", "all",
    "none"): while tuning, read only TUNE's.
    """
    scored = set(data["entities"])
    halves: dict[str, Score] = {"tune": Score(), "check": Score(), "whole": Score()}
    langs: dict[tuple[str, str], Score] = {}
    trap_fps: list[str] = []
    for doc in data["docs"]:
        got = predicted(tag, doc["text"], scored)
        gold = {k: v for k, v in doc["gold"].items() if k in scored}
        name = half(doc["id"])
        for key in (name, "whole"):
            halves[key].add(doc["id"], gold, got)
            langs.setdefault((key, doc["lang"]), Score()).add(doc["id"], gold, got)
        if doc["trap"]:
            extra = sorted(e for e in got if got[e] > gold.get(e, 0))
            trap_fps += [f"{doc['id']} ({name}) {e}: gold {gold.get(e, 0)} got {got[e]}"
                         for e in extra]
    for key, score in halves.items():
        count = sum(1 for d in data["docs"] if key == "whole" or half(d["id"]) == key)
        print(f"{key:<6} ({count:2} passages) {score.line()}")
    for key in ("tune", "check", "whole"):
        per = "  ".join(f"{lang} {s.f1:.2f}" for (k, lang), s in sorted(langs.items()) if k == key)
        print(f"F1 by language, {key}: {per}")
    print(f"trap passages over-counted: {len(trap_fps)}")
    for line in trap_fps:
        if show == "all" or show in line:
            print("  " + line)
    if show in ("tune", "check", "all"):
        for key in ("tune", "check") if show == "all" else (show,):
            print(f"errors, {key}:")
            for line in halves[key].errors:
                print("  " + line)


def throughput(tag: Callable[[str], list[Any]], texts: list[str], repeat: int) -> float:
    """MB/s of thread CPU time over `texts` (median of `repeat` passes per text)."""
    total_bytes = sum(len(t.encode("utf-8")) for t in texts)
    total = 0.0
    for text in texts:
        tag(text)
        times = []
        for _ in range(repeat):
            start = time.thread_time_ns()
            tag(text)
            times.append((time.thread_time_ns() - start) / 1e9)
        total += statistics.median(times)
    return total_bytes / total / 1e6
