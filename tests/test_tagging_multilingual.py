"""Tagging in the region's languages and the document-level rules (docs/counting-rules.md).

Every passage here is written for this test (patterns like real coverage, no copied text).
The real development set is scored by bench/bench_tagging.py, not here.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from extractors.tagging.tagger import Tagger
from extractors.tagging.text import Sentences, normalize
from extractors.tagging.watchlist import (
    WatchlistError,
    default_watchlist_path,
    load_watchlist,
    parse_watchlist,
)


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_watchlist(default_watchlist_path()))


def counts(tagger: Tagger, text: str, **kwargs: Any) -> Counter[str]:
    return Counter(m.entity for m in tagger.tag(text, **kwargs))


CASES = [
    # Japanese: title forms from the local surname, honorific 氏, country infix in the title.
    ("ja-titles", "岸田首相は会見で述べた。その後、岸田氏はバイデン米大統領と電話で協議した。",
     {"fumio-kishida": 2, "joe-biden": 1}),
    # Japanese: a surname inside a longer kanji word is not the person.
    ("ja-longer-word", "岸田國士の戯曲が上演された。岸田國士戯曲賞の選考会も開かれた。", {}),
    # Korean: title after a space, particles glued to the surname.
    ("ko-particles",
     "윤석열 대통령은 기시다 후미오 총리와 회담했다. 윤 대통령은 기시다는 물론 바이든 "
     "대통령과도 통화했다.",
     {"yoon-suk-yeol": 2, "fumio-kishida": 2, "joe-biden": 1}),
    # Korean: a word that starts like a tracked name is another word.
    ("ko-quad-jump", "그는 쿼드러플 점프를 시도했다. 피겨 선수의 쿼드 점프는 성공했다.", {}),
    # Chinese: transliterated names and the title before or after them.
    ("zh-names", "美国总统拜登与印度总理莫迪会晤，澳大利亚总理阿尔巴尼斯也出席了四方安全对话峰会。",
     {"joe-biden": 1, "narendra-modi": 1, "anthony-albanese": 1, "quad": 1}),
    # A Latin acronym glued to CJK text, folded into its bracketed expansion.
    ("ja-acronym", "日本とフィリピンは円滑化協定(RAA)に署名した。日比RAAは来年発効する。",
     {"raa-japan-philippines": 2}),
    ("ko-osa",
     "일본 정부는 정부안보능력강화지원(OSA)을 통해 레이더를 제공한다. 이번 OSA는 두 번째다.",
     {"official-security-assistance": 2}),
    # German genitive and a European-language agreement name.
    ("de-genitive", "Nach Bidens Rede in Tokio lobte Premierminister Kishida die Allianz.",
     {"joe-biden": 1, "fumio-kishida": 1}),
    ("es-agreement", "Japón y Filipinas firmaron el Acuerdo de Acceso Recíproco en Manila.",
     {"raa-japan-philippines": 1}),
    # Namesakes decided per document: the nearest full name before the surname.
    ("nearest-full-name", "Investigators questioned Nirav Modi in London. Modi denied wrongdoing, "
     "and a court said Modi could appeal.", {}),
    ("honorific-after-son", "Hunter Biden appeared in court on Tuesday. Mr. Biden pleaded not "
     "guilty, while President Biden was travelling.", {"joe-biden": 1}),
    ("father-suffix", "Ferdinand Marcos, Sr. ruled for two decades. The elder Marcos died in "
     "1989.", {}),
    ("life-dates", "A memorial recalled martial law under Ferdinand Marcos (1917-1989). Marcos "
     "imposed it in 1972.", {}),
    ("son-suffix", "Donald Trump Jr. spoke at a rally. The Trump Organization issued a "
     "statement.", {}),
    ("lee-never-alone", "Lee Kuan Yew's memoir was reissued. Lee said little else.", {}),
    # Senses by document: another expansion anywhere in the article rules the acronym out.
    ("osa-other-sense", "Japan's coast guard tested new radar. The OSA review, under the "
     "Official Secrets Act, found no breach.", {}),
    # The Squad is not the Quad.
    ("squad", "Defence ministers of the Squad - Australia, Japan, the Philippines and the "
     "United States - met in Hawaii.", {"squad": 1}),
    # An RAA whose sentence names no pair: the pair the article names most, not a side remark.
    ("raa-article-pair", "Britain and Japan signed a defence pact in London on Wednesday.\n\n"
     "British troops and Japanese forces will train together, London said. The reciprocal "
     "access agreement is the second of its kind; Australia was the first.",
     {"raa-japan-uk": 1}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_passage(tagger: Tagger, name: str, text: str, expected: dict[str, int]) -> None:
    assert counts(tagger, text) == Counter(expected)


def test_office_titles_resolve_by_the_articles_date(tagger: Tagger) -> None:
    text = "President Lee met President Trump in Gyeongju. 이 대통령은 회담 후 기자회견을 했다."
    assert counts(tagger, text, published="2025-10-29") == Counter(
        {"lee-jae-myung": 2, "donald-trump": 1}
    )
    # In 2010 "President Lee" is Lee Myung-bak and Trump held no office.
    assert counts(tagger, text, published="2010-03-01") == Counter()
    assert counts(tagger, "Prime Minister Kishida spoke.", published="2023-05-01") == Counter(
        {"fumio-kishida": 1}
    )
    # After his term a title is a look back at him, for a surname that stands alone:
    # "the Biden administration" in a 2026 retrospective is still Biden.
    assert counts(tagger, "Prime Minister Kishida spoke.", published="2026-01-01") == Counter(
        {"fumio-kishida": 1}
    )
    assert counts(tagger, "The Biden administration convened it.", published="2026-11-20") == (
        Counter({"joe-biden": 1})
    )
    # "Lee" never stands alone: out of his term "President Lee" is someone else.
    assert counts(tagger, "President Lee spoke in Seoul.", published="2024-01-01") == Counter()


def test_sentences_split_at_cjk_full_stops() -> None:
    text = "岸田首相は述べた。会談は一時間続いた！次は？윤 대통령은 말했다. 다음 문장이다."
    sentences = Sentences(text)
    assert [sentences.text(i) for i in range(len(sentences))] == [
        "岸田首相は述べた。",
        "会談は一時間続いた！",
        "次は？",
        "윤 대통령은 말했다.",
        "다음 문장이다.",
    ]


def test_mention_sentence_is_the_cjk_sentence(tagger: Tagger) -> None:
    text = "会談は長く続いた。岸田首相は笑顔を見せた。記者団は待った。"
    (mention,) = tagger.tag(text)
    assert mention.sentence == "岸田首相は笑顔を見せた。"


def test_explain_names_the_rule_and_the_pair_evidence(tagger: Tagger) -> None:
    text = (
        "Japan and the Philippines signed a Reciprocal Access Agreement. "
        "President Marcos hailed it."
    )
    reasons = {m.entity: why for m, why in tagger.explain(text)}
    assert "pair named in the sentence: JP–PH" in reasons["raa-japan-philippines"]
    assert reasons["ferdinand-marcos-jr"].startswith("title + surname")


def test_normalize_keeps_length_on_mostly_cjk_text() -> None:
    text = "「日本」と『韓国』、そしてİstanbul—終わり。"
    assert len(normalize(text)) == len(text)
    assert normalize("岸田、「RAA」") == "岸田  raa "


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        ({"names": {"JA": ["x"]}}, "language"),
        ({"names": ["岸田"]}, "must map a language"),
        ({"terms": [{"office": "PM", "from": "2021"}]}, "dates like"),
        ({"terms": [{"office": "PM", "from": "2022-01-01", "to": "2021-01-01"}]}, "ends before"),
        ({"surnames": {"ja": "岸田"}, "surname": None}, "needs 'surname'"),
    ],
)
def test_new_fields_are_validated(patch: dict[str, Any], reason: str) -> None:
    entity: dict[str, Any] = {"id": "x-y", "kind": "leader", "name": "X Y", "surname": "Y"}
    entity.update(patch)
    entity = {k: v for k, v in entity.items() if v is not None}
    with pytest.raises(WatchlistError, match=reason):
        parse_watchlist({"entities": [entity]})


def test_joint_names_need_known_codes() -> None:
    data = {"countries": {"JP": {"name": "Japan"}}, "joint_names": {"日豪": ["JP", "AU"]},
            "entities": [{"id": "a", "kind": "framework", "name": "A"}]}
    with pytest.raises(WatchlistError, match="'AU' not in 'countries'"):
        parse_watchlist(data)
