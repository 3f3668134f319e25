"""Extraction golden tests on pages written by us, the corpus thresholds, and a fuzz test."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.article.extract import choose_authors, extract_article
from extractors.article.jsonld import Person
from extractors.article.model import DateCandidate
from extractors.errors import ExtractionFailed

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
URL = "https://news.example.org/2024/03/05/quad-meets"

PARAGRAPHS = [
    "Foreign ministers of the Quad met in Tokyo on Tuesday to review maritime security "
    "cooperation across the Indo-Pacific, officials said after the four-hour session.",
    "The ministers agreed to expand joint coast guard training and to share satellite data "
    "on illegal fishing, according to a joint statement released in the evening.",
    "Analysts said the meeting showed that the grouping has kept its momentum despite "
    "elections in several member countries and pressure on defence budgets this year.",
    "A further meeting of senior officials is planned for the autumn in Canberra, where the "
    "partners expect to sign an agreement on undersea cable protection and port security.",
]
BODY = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)


def _page(head: str = "", body: str = BODY, charset: str = "utf-8") -> str:
    return (
        f'<html lang="en"><head><meta charset="{charset}">{head}</head>'
        f"<body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>Quad ministers meet in Tokyo</h1>{body}</article>"
        "<footer>(c) Example News. All rights reserved.</footer></body></html>"
    )


JSON_LD = {
    "@context": "https://schema.org",
    "@type": "NewsArticle",
    "headline": "Quad ministers meet in Tokyo",
    "datePublished": "2024-03-05T09:30:00+09:00",
    "dateModified": "2024-03-05T11:00:00+09:00",
    "author": [
        {"@type": "Person", "name": "Aiko Tanaka"},
        {"@type": "Person", "name": "By John Smith"},
    ],
    "articleBody": " ".join(PARAGRAPHS[:2]),
}


def test_json_ld_page() -> None:
    head = (
        "<title>Quad ministers meet in Tokyo | Example News</title>"
        '<link rel="canonical" href="https://news.example.org/quad?utm_source=x">'
        f'<script type="application/ld+json">{json.dumps(JSON_LD)}</script>'
    )
    article = extract_article(_page(head).encode(), URL)
    assert article.title == "Quad ministers meet in Tokyo"
    assert article.authors == ("Aiko Tanaka", "John Smith")
    assert article.published == datetime(2024, 3, 5, 9, 30, tzinfo=timezone(timedelta(hours=9)))
    assert article.published.utcoffset() == timedelta(hours=9)
    assert article.modified == datetime(2024, 3, 5, 2, 0, tzinfo=UTC)
    assert article.url == "https://news.example.org/quad"
    assert "undersea cable" in article.text  # the teaser articleBody does not win
    assert {c.origin for c in article.date_candidates} >= {"json-ld", "url"}


def test_meta_only_page_and_hints() -> None:
    head = (
        '<meta property="og:title" content="Quad ministers meet in Tokyo">'
        '<meta property="article:published_time" content="2024-03-05T00:30:00Z">'
        '<meta name="author" content="Aiko Tanaka and John Smith">'
    )
    hint = DateCandidate(origin="feed", value=datetime(2024, 3, 6, tzinfo=UTC))
    article = extract_article(_page(head), "https://news.example.org/quad-meets", [hint])
    assert article.title == "Quad ministers meet in Tokyo"
    assert article.published == datetime(2024, 3, 5, 0, 30, tzinfo=UTC)
    assert article.authors == ("Aiko Tanaka", "John Smith")
    assert hint in article.date_candidates


def test_a_date_only_in_the_text_is_found_by_the_thorough_search() -> None:
    """No JSON-LD, meta, listing or URL date: htmldate's thorough search reads the text."""
    body = "<p>Published on 5 March 2024 at 10:00</p>" + BODY
    article = extract_article(_page("", body), "https://news.example.org/world/quad-meets")
    assert article.published == datetime(2024, 3, 5, 12, tzinfo=UTC)
    assert [c.origin for c in article.date_candidates] == ["htmldate"]


def test_a_better_date_leaves_htmldate_its_quick_guess() -> None:
    body = "<p>Published on 5 March 2024 at 10:00</p>" + BODY
    hint = DateCandidate(origin="feed", value=datetime(2024, 3, 6, 8, tzinfo=UTC))
    article = extract_article(_page("", body), "https://news.example.org/world/q", [hint])
    assert article.published == hint.value
    assert [c.origin for c in article.date_candidates] == ["feed"]  # text-only: quick finds none


def test_an_agency_credited_beside_a_person_is_kept() -> None:
    declared = [Person("Paula Steiger", True), Person("SDA", False)]
    assert choose_authors(declared, [], "Example News") == ("Paula Steiger", "SDA")
    assert choose_authors([Person("Example News", False)], ["Aiko Tanaka"], "Example News") == (
        "Aiko Tanaka",
    )


def test_job_title_after_a_name_is_dropped() -> None:
    assert choose_authors([], ["Example News", "김민수 기자", "山田太郎 記者"], "Example News") == (
        "김민수", "山田太郎",
    )


def test_site_name_and_byline_come_from_trafilatura_when_the_page_lacks_them() -> None:
    """No og:site_name, no author in JSON-LD or meta: trafilatura's metadata pass fills in."""
    head = '<title>Quad ministers meet in Tokyo</title><meta name="application-name" content="Ex">'
    body = '<p class="byline">By <a rel="author" href="/people/aiko">Aiko Tanaka</a></p>' + BODY
    article = extract_article(_page(head, body), "https://news.example.org/world/quad-meets")
    assert article.sitename == "Ex"
    assert article.authors == ("Aiko Tanaka",)


@pytest.mark.parametrize(
    "title",
    [
        "Quad ministers meet in Tokyo | Example News",
        "Quad ministers meet in Tokyo - news.example.org",
        "Example News: Quad ministers meet in Tokyo",
        "Quad ministers meet in Tokyo | Example News | by Aiko Tanaka",
    ],
)
def test_site_name_is_stripped_from_title(title: str) -> None:
    head = f'<title>{title}</title><meta property="og:site_name" content="Example News">'
    page = _page(head).replace("<h1>Quad ministers meet in Tokyo</h1>", "")
    assert extract_article(page, URL).title == "Quad ministers meet in Tokyo"


def test_title_keeps_its_own_colon() -> None:
    head = "<title>Tony Blair: Why there has to be compromise | Example News</title>"
    page = _page(head).replace("<h1>Quad ministers meet in Tokyo</h1>", "")
    assert extract_article(page, URL).title == "Tony Blair: Why there has to be compromise"


@pytest.mark.parametrize(
    ("headline", "og_title", "expected"),
    [
        ("Diplomacy: Quad ministers meet in Tokyo", "Quad ministers meet in Tokyo",
         "Quad ministers meet in Tokyo"),
        ('"Quad ministers" meet in Tokyo', "Quad ministers meet in Tokyo",
         "Quad ministers meet in Tokyo"),
        ("Quad ministers meet in Tokyo", "Tokyo talks: what the Quad agreed",
         "Quad ministers meet in Tokyo"),
    ],
    ids=["kicker", "quotes", "different-headline"],
)
def test_title_prefers_plain_variant_of_headline(
    headline: str, og_title: str, expected: str
) -> None:
    data = {**JSON_LD, "headline": headline}
    head = (
        f'<meta property="og:title" content="{og_title.replace(chr(34), "&quot;")}">'
        f'<script type="application/ld+json">{json.dumps(data)}</script>'
    )
    assert extract_article(_page(head), URL).title == expected


def _titled_page(headline: str, og_title: str, body: str = BODY, **declared: str) -> str:
    data = {**JSON_LD, "headline": headline, **declared}
    head = (
        f'<meta property="og:title" content="{og_title.replace(chr(34), "&quot;")}">'
        f'<script type="application/ld+json">{json.dumps(data)}</script>'
    )
    return _page(head, body)


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ({"alternativeHeadline": "Tokyo talks: what the Quad agreed"},
         "Tokyo talks: what the Quad agreed"),
        ({"name": "Tokyo talks: what the Quad agreed"}, "Tokyo talks: what the Quad agreed"),
        ({"alternativeHeadline": "Four ministers, one ocean"}, "Quad ministers meet in Tokyo"),
        ({}, "Quad ministers meet in Tokyo"),
    ],
    ids=["alternative-headline", "name", "another-alternative", "none"],
)
def test_og_title_wins_when_json_ld_declares_it_too(
    declared: dict[str, str], expected: str
) -> None:
    page = _titled_page("Quad ministers meet in Tokyo", "Tokyo talks: what the Quad agreed",
                        **declared)
    assert extract_article(page, URL).title == expected


def test_declared_name_does_not_override_agreeing_og_title() -> None:
    """og:title already agrees with the headline: a twitter:title repeated in the JSON-LD
    `alternativeHeadline` is no dispute."""
    page = _titled_page(
        "Quad ministers meet in Tokyo", "Quad ministers meet in Tokyo",
        alternativeHeadline="Tokyo talks: what the Quad agreed",
    ).replace("</head>", '<meta name="twitter:title" content="Tokyo talks: what the Quad agreed">'
              "</head>")
    assert extract_article(page, URL).title == "Quad ministers meet in Tokyo"


@pytest.mark.parametrize(
    ("marked", "expected"),
    [
        ('<h2 itemprop="headline">Tokyo talks: what the Quad agreed</h2>',
         "Tokyo talks: what the Quad agreed"),
        ('<h2 itemprop="headline">Elsewhere: ferry strike ends</h2>',
         "Quad ministers meet in Tokyo"),
        ('<meta itemprop="headline" content="Tokyo talks: what the Quad agreed">',
         "Quad ministers meet in Tokyo"),
    ],
    ids=["visible-repeats-og", "visible-repeats-nothing", "invisible-meta"],
)
def test_visible_marked_headline_names_the_title(marked: str, expected: str) -> None:
    page = _titled_page("Quad ministers meet in Tokyo", "Tokyo talks: what the Quad agreed",
                        body=marked + BODY)
    assert extract_article(page, URL).title == expected


@pytest.mark.parametrize(
    ("headline", "expected"),
    [
        ("Quad ministers meet in Tokyo over maritime security",
         "Quad ministers meet in Tokyo"),
        ("Quad ministers meet in Tokyo, agree on patrols",
         "Quad ministers meet in Tokyo, agree on patrols"),
        ('Quad ministers meet in Tokyo "with resolve"',
         'Quad ministers meet in Tokyo "with resolve"'),
        ("Quad ministers meet in Tokyoville", "Quad ministers meet in Tokyoville"),
    ],
    ids=["cut-between-words", "cut-before-comma", "cut-before-quote", "cut-inside-word"],
)
def test_og_title_cut_after_a_word_wins(headline: str, expected: str) -> None:
    page = _titled_page(headline, "Quad ministers meet in Tokyo")
    assert extract_article(page, URL).title == expected


def test_shorter_title_tag_is_not_a_plainer_headline() -> None:
    """Only the social titles count as the editor's short form; `<title>` is cut for search."""
    data = {**JSON_LD, "headline": "Quad ministers meet in Tokyo over maritime security"}
    head = (
        "<title>Quad ministers meet in Tokyo</title>"
        f'<script type="application/ld+json">{json.dumps(data)}</script>'
    )
    page = _page(head).replace("<h1>Quad ministers meet in Tokyo</h1>", "")
    assert extract_article(page, URL).title == data["headline"]


def test_article_cut_into_chunks_is_read_whole() -> None:
    """Paragraphs in later elements of the body's class (around an ad) are kept."""
    more = [
        f"Paragraph {n} of the second half: the delegations then turned to energy security, "
        "critical minerals and the financing of ports across the Pacific island states."
        for n in range(1, 5)
    ]
    page = (
        "<html><head><title>Quad</title></head><body><main>"
        f'<div class="grid"><div class="article-body">{BODY}</div></div>'
        '<div class="ad"><p>Advertisement</p></div>'
        '<div class="grid"><div class="article-body">'
        + "".join(f"<p>{p}</p>" for p in more)
        + "</div></div>"
        '<div class="grid"><div class="article-body"><p>Related: Quad in brief</p>'
        "</div></div></main></body></html>"
    )
    text = extract_article(page, URL).text
    assert PARAGRAPHS[0][:40] in text and more[-1][:40] in text
    assert "Advertisement" not in text and "Related" not in text


def _scripted_page(state: str, visible: str = "") -> str:
    """A page rendered by JavaScript: the story travels only in the hydration state."""
    return (
        "<html lang='en'><head><title>Quad ministers meet in Tokyo | Example News</title>"
        "<meta name='headline' content='Quad ministers meet in Tokyo'></head>"
        f"<body><div id='root'>{visible}</div>"
        f"<script id='__NEXT_DATA__' type='application/json'>{state}</script>"
        "<script src='/static/app.js'></script></body></html>"
    )


def _state(content: str, escape_tags: bool) -> str:
    state = json.dumps({"props": {"pageProps": {"article": {
        "id": "a-1", "title": "Quad ministers meet in Tokyo", "contentHtml": content,
    }}}})
    return state.replace("<", "\\u003c").replace(">", "\\u003e") if escape_tags else state


@pytest.mark.parametrize("escape_tags", [False, True], ids=["literal-tags", "escaped-tags"])
def test_article_only_in_the_hydration_state_is_extracted(escape_tags: bool) -> None:
    content = BODY.replace("</p><p>", "</p>$$ARTICLEAD$$<p>", 1)
    article = extract_article(_scripted_page(_state(content, escape_tags)), URL)
    assert article.text.split("\n") == PARAGRAPHS
    assert article.title == "Quad ministers meet in Tokyo"  # <meta name="headline">


def test_hydration_state_is_not_read_when_the_page_shows_the_article() -> None:
    other = "".join(f"<p>Unrelated teaser number {i} about a different story.</p>" * 30
                    for i in range(2))
    page = _scripted_page(_state(other, escape_tags=False), visible=f"<article>{BODY}</article>")
    article = extract_article(page, URL)
    assert article.text.split("\n") == PARAGRAPHS


def test_hydration_state_without_article_html_still_fails() -> None:
    props = {"note": "no markup here " * 60, "broken": "<p>one paragraph only</p>" + "x" * 500}
    state = json.dumps({"props": {"pageProps": props}})
    with pytest.raises(ExtractionFailed, match="no article text"):
        extract_article(_scripted_page(state), URL)


def test_cookie_banner_and_comments_are_left_out() -> None:
    banner = (
        '<div id="cookie-banner" class="cookie-consent"><p>We use cookies to improve your '
        "experience. Accept all cookies or manage your preferences.</p></div>"
    )
    comments = (
        '<section id="comments" class="comments"><h3>Comments</h3>'
        '<div class="comment"><p>First! This is a reader comment that should not appear in '
        "the article text at all.</p></div></section>"
    )
    page = _page().replace("<body>", "<body>" + banner)
    page = page.replace("</article>", "</article>" + comments)
    text = extract_article(page, URL).text
    assert "Canberra" in text
    assert "cookies" not in text
    assert "reader comment" not in text


BOILERPLATE = (
    '<div id="cookie-banner"><p>We use cookies.</p></div>'
    '<div role="navigation" class="main-navbar"><a href="/">Home</a></div>'
    '<span class="share-buttons"><a href="/s">Share</a></span>'
    '<p style="display:none">hidden text</p><div aria-hidden="true">icon</div>'
    '<section class="related-stories"><p>More on this</p></section>'
    '<div class="bottom link"><a href="/b">Bottom</a></div>'
    '<form class="newsletter-signup"><label>E-mail <input name="e" value="x"></label>'
    '<select name="s"><option>a</option></select></form>'
    '<div id="respond"><p class="comments-title">Comments</p>'
    '<div class="comment-reply-link">Reply</div></div><!-- a comment --><header>Site</header>'
)


def test_lean_lxml_selects_the_elements_trafilatura_would() -> None:
    """Every XPath of trafilatura's lists, as `lean_lxml` compiled it again (no smart
    strings), selects the very elements trafilatura's own compilation selects, on a page full
    of what they prune; and the page's elements keep lxml.html's classes."""
    from lxml.etree import XPath
    from lxml.html import HtmlElement
    from trafilatura import xpaths
    from trafilatura.utils import load_html

    from extractors.article import lean_lxml

    tree = load_html(_page().replace("<body>", "<body>" + BOILERPLATE))
    selected = 0
    for expressions in lean_lxml.xpath_lists():
        for lean in expressions:
            if not isinstance(lean, XPath):
                continue
            shipped = XPath(lean.path, namespaces={"re": xpaths.REGEXP_NS})
            expected = shipped(tree)
            assert [id(e) for e in lean(tree)] == [id(e) for e in expected], lean.path
            selected += len(expected)
    assert selected >= 15  # the page exercises the expressions
    assert all(isinstance(e, HtmlElement) for e in tree.iter() if not callable(e.tag))
    assert type(tree.find(".//input")) is HtmlElement  # forms' controls: the one difference


JAPANESE = [
    "日米豪印の外相は火曜日に東京で会談し、インド太平洋における海洋安全保障協力について"
    "協議した。会談は四時間に及び、共同声明が夜に発表された。",
    "外相らは沿岸警備隊の合同訓練を拡大し、違法漁業に関する衛星データを共有することで"
    "合意した。専門家は枠組みの勢いが保たれていると指摘した。",
    "次回の高官協議は秋にキャンベラで開かれる予定で、海底ケーブルと港湾の安全に関する"
    "協定の署名が見込まれている。",
]
KOREAN = [
    "쿼드 외교장관들은 화요일 도쿄에서 만나 인도태평양 지역의 해양 안보 협력을 논의했다고 "
    "관계자들이 밝혔다. 회의는 네 시간 동안 이어졌다.",
    "장관들은 해안경비대 합동 훈련을 확대하고 불법 조업에 관한 위성 자료를 공유하기로 "
    "합의했다고 공동성명은 전했다.",
    "다음 고위급 회의는 가을 캔버라에서 열릴 예정이며 해저 케이블 보호 협정이 서명될 "
    "것으로 보인다.",
]
FRENCH = [
    "Les ministres des Affaires étrangères du Quad se sont réunis mardi à Tokyo pour examiner "
    "la coopération en matière de sécurité maritime dans la région indo-pacifique.",
    "Ils ont convenu d’élargir la formation conjointe des garde-côtes et de partager des "
    "données satellitaires sur la pêche illégale, selon un communiqué publié le soir.",
    "Une réunion des hauts fonctionnaires est prévue à l’automne à Canberra, où les "
    "partenaires espèrent signer un accord sur la protection des câbles sous-marins.",
]


@pytest.mark.parametrize(
    ("paragraphs", "encoding", "declared"),
    [
        (JAPANESE, "shift_jis", True),
        (JAPANESE, "shift_jis", False),
        (KOREAN, "euc-kr", True),
        (FRENCH, "cp1252", True),
        (FRENCH, "cp1252", False),
    ],
)
def test_legacy_encodings(paragraphs: list[str], encoding: str, declared: bool) -> None:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    page = _page(body=body, charset=encoding if declared else "")
    if not declared:
        page = page.replace('<meta charset="">', "")
    raw = page.encode(encoding, errors="strict")
    article = extract_article(raw, URL)
    assert paragraphs[0][:20] in article.text
    assert paragraphs[-1][-15:] in article.text


def test_truncated_html_still_yields_text() -> None:
    page = _page()
    cut = page[: page.index(PARAGRAPHS[3][:30])]
    article = extract_article(cut.encode(), URL)
    assert "satellite data" in article.text


@pytest.mark.parametrize(
    "html",
    [
        b"",
        "   ",
        b"<html><head><title>Nothing</title></head><body></body></html>",
        bytes(range(256)) * 40,
        b"\x89PNG\r\n\x1a\n" + b"\x00\xff" * 2000,
        b"<html>" + b"<div>" * 5000,
    ],
    ids=["empty", "blank", "empty-body", "binary", "png", "deep-nesting"],
)
def test_no_article_raises_extraction_failed(html: bytes | str) -> None:
    with pytest.raises(ExtractionFailed) as info:
        extract_article(html, URL)
    assert info.value.url == URL and info.value.reason


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=3000),
        st.text(max_size=3000),
        st.lists(
            st.sampled_from(
                ["<p>", "</p>", "<script type='application/ld+json'>", "</script>", "{", "}",
                 '"@type":"NewsArticle"', '"datePublished":"2024-99-99"', "<title>", "</title>",
                 "<meta property='og:title' content='", "'>", "&#0;", "&quot;", "\x00", "é",
                 "<h1>", "a b c d e f g", "<article>", "<!--", "]]>", "<time datetime='x'>",
                 "<script>", '"\\u003cp>', "\\", '"' + "w " * 210,
                 "<meta name='headline' content='"]
            ),
            max_size=300,
        ).map("".join),
    )
)
def test_hostile_input_raises_only_extraction_failed(html: bytes | str) -> None:
    try:
        article = extract_article(html, URL)
    except ExtractionFailed:
        return
    assert article.text


needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS} (checked out alone)"
)


@needs_corpus
def test_corpus_thresholds() -> None:
    """The measured quality holds on the real pages (bench/bench_extraction.py, ~1 minute)."""
    sys.path.insert(0, str(REPO / "bench"))
    import bench_extraction as bench

    news = bench.measure(bench.pactwatch_method, bench.news_pages())
    body = bench.measure(bench.pactwatch_method, bench.benchmark_pages())
    assert body.f1()[2] >= 0.970
    assert sum(news.day) / len(news.day) >= 0.99
    assert sum(news.title) / len(news.title) >= 0.93
    assert sum(news.authors) / len(news.authors) >= 0.89


def test_bench_script_help_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench_extraction.py"), "--help"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
