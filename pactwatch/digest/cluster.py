"""Which of the week's stories report the same event: TF-IDF and agglomerative clustering.

A story (copies already grouped by the stored `story` column) is compared with another by two
cosines, both from scikit-learn: character n-grams of its title and lead (they need no word
splitting, so they work in every script), and the tracked entities it names (a title or lead
mention weighs twice a passing one). Text says little between two languages, so a pair in
different languages is compared by its entities alone. Stories further apart in time than
`Method.window_hours` are never the same event. Agglomerative clustering with average linkage
then cuts at `Method.threshold`. The defaults were chosen by measuring on the week in
tests/briefing_week.py (see docs/digest.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

FAR = 2.0  # the distance of two stories that cannot be one event
MAX_DF_FROM = 50  # docs; see _text_cosine


@dataclass(frozen=True)
class Method:
    """How stories are compared and cut into events."""

    analyzer: str = "char_wb"  # TfidfVectorizer analyzer: "char_wb", "char" or "word"
    ngrams: tuple[int, int] = (2, 4)
    max_df: float = 0.5  # n-grams in more of the stories say nothing (and cost the most)
    text_weight: float = 0.7  # the rest is the entities' weight
    per_language: bool = True  # across languages, compare entities only
    linkage: str = "average"
    threshold: float = 0.4  # cosine distance at which clusters stop merging
    window_hours: float = 48.0


METHOD = Method()


@dataclass(frozen=True)
class Doc:
    """One story to compare: its title and lead, language, time and tracked entities."""

    text: str
    language: str
    published: datetime
    entities: Mapping[str, float]


def similarity(docs: Sequence[Doc], method: Method = METHOD) -> np.ndarray:
    """The pairwise similarity (0..1) of `docs`: text and entity cosines, weighted (float32,
    computed in place: at 3,000 stories each matrix is 36 MB)."""
    sim = _text_cosine(docs, method)
    tracked = normalize(
        DictVectorizer(sparse=False).fit_transform([dict(d.entities) for d in docs])
    ).astype(np.float32)
    entities = tracked @ tracked.T  # a few columns: dense is faster than sparse here
    if method.per_language:
        codes = np.unique([d.language for d in docs], return_inverse=True)[1]
        np.copyto(sim, entities, where=codes[:, None] != codes[None, :])
    sim *= method.text_weight
    sim += (1 - method.text_weight) * entities
    return sim


def _text_cosine(docs: Sequence[Doc], method: Method) -> np.ndarray:
    """Cosine of the TF-IDF character n-grams of the docs' texts; zeros when no n-gram is
    left (texts of one or two characters). `max_df` applies from MAX_DF_FROM docs on: in a
    handful of docs it would drop what two of them share."""
    vectorizer = TfidfVectorizer(
        analyzer=method.analyzer,
        ngram_range=method.ngrams,
        sublinear_tf=True,
        max_df=method.max_df if len(docs) >= MAX_DF_FROM else 1.0,
    )
    try:
        rows = vectorizer.fit_transform([d.text for d in docs])
    except ValueError:  # an empty vocabulary: nothing to compare
        return np.zeros((len(docs), len(docs)), dtype=np.float32)
    return (rows.astype(np.float32) @ rows.T.astype(np.float32)).toarray()


def cluster(docs: Sequence[Doc], method: Method = METHOD) -> tuple[list[int], np.ndarray]:
    """A cluster label per doc (docs about one event share it) and the similarity matrix."""
    if not docs:
        return [], np.zeros((0, 0))
    sim = similarity(docs, method)
    if len(docs) == 1:
        return [0], sim
    distance = 1.0 - sim
    np.clip(distance, 0.0, None, out=distance)
    hours = np.array([d.published.timestamp() / 3600 for d in docs])
    hours = (hours - hours.min()).astype(np.float32)
    distance[np.abs(hours[:, None] - hours[None, :]) > method.window_hours] = FAR
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method=method.linkage)
    labels = fcluster(tree, t=method.threshold, criterion="distance")
    return [int(label) for label in labels], sim
