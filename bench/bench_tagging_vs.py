"""Tagging throughput side by side: this tree's tagger against the one at a git revision.

Run: .venv/bin/python bench/bench_tagging_vs.py [--baseline REV] [--rounds N] [--repeat N]

Both taggers, each with its own revision's default watchlist, tag the same texts (the real
development passages plus the seed article, read from ../shared at run time) in child
processes started the same way, taking turns (baseline, current, baseline, ...), so a busy
machine slows both alike. Each child prints MB/s of thread CPU time (median of `repeat` passes
per text, `bench_tagging_real.throughput`); the ratio of the medians is the figure to read.
The baseline's source comes from `git archive REV extractors config` into a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASELINE = "b0e64d0"  # main before this round's tagging work (the tagger of extractors/tagger.py)

CHILD = """
import json, sys
sys.path.insert(0, {root!r})
sys.path.insert(1, {bench!r})
from bench_tagging_real import throughput
try:
    from extractors.tagging.tagger import Tagger
    from extractors.tagging.watchlist import default_watchlist_path, load_watchlist
except ImportError:  # revisions before the layout change
    from extractors.tagger import Tagger
    from extractors.watchlist import default_watchlist_path, load_watchlist
tagger = Tagger(load_watchlist(default_watchlist_path()))
texts = json.load(open({texts!r}, encoding="utf-8"))
print(throughput(tagger.tag, texts, {repeat}))
"""


def texts() -> list[str]:
    """The real development passages and the seed article."""
    sys.path.insert(0, str(REPO / "bench"))
    from bench_tagging_real import load_real, shared_corpus

    data = load_real()
    if data is None:
        raise SystemExit("real development set not found (../shared/corpus/tagging-real)")
    found = [doc["text"] for doc in data["docs"]]
    seed = shared_corpus() / "seed" / "japan-forward-kishida-verdun.txt"
    if seed.is_file():
        found.append(seed.read_text(encoding="utf-8"))
    return found


def checkout(rev: str, into: Path) -> Path:
    """The extractors and config folders of `rev`, unpacked under `into`."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", rev, "extractors", "config"],
        check=True, capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def measure(root: Path, texts_file: Path, repeat: int) -> float:
    code = CHILD.format(root=str(root), bench=str(REPO / "bench"), texts=str(texts_file),
                        repeat=repeat)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, cwd=root)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(json.dumps(texts()), encoding="utf-8")
        base = checkout(args.baseline, Path(tmp) / "baseline")
        runs: dict[str, list[float]] = {"baseline": [], "current": []}
        for _ in range(args.rounds):
            runs["baseline"].append(measure(base, texts_file, args.repeat))
            runs["current"].append(measure(REPO, texts_file, args.repeat))
    for name, values in runs.items():
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"{name:<9} median {statistics.median(values):6.2f} MB/s  ({shown})")
    ratio = statistics.median(runs["current"]) / statistics.median(runs["baseline"])
    print(f"current / baseline ({args.baseline}): {ratio:.2f}")


if __name__ == "__main__":
    main()
