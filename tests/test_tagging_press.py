"""The tagger on press-style passages in the region's languages, written for this test.

Each passage imitates how one press writes (Japanese dailies with full-width Latin letters and
digits and verbless headlines, Korean papers with particles glued to names and the middle dot,
Chinese mainland and Taiwan/Hong Kong usage with book-title marks, a few European and
South-East Asian languages) and is counted by the conventions of the real development set
(../shared/corpus/tagging-real, `conventions`): a name with its bracketed reading or acronym is
one mention, bare titles never count, same-surname people never count, an RAA goes to the pair
the passage makes clear. No sentence is copied from any source; the development set's passages
are not read here.
"""

from __future__ import annotations

from collections import Counter

import pytest

from extractors.tagging.tagger import Tagger
from extractors.tagging.watchlist import default_watchlist_path, load_watchlist

KISHIDA, ISHIBA, TAKAICHI = "fumio-kishida", "shigeru-ishiba", "sanae-takaichi"
BIDEN, TRUMP, YOON, LEE = "joe-biden", "donald-trump", "yoon-suk-yeol", "lee-jae-myung"
MARCOS, ALBANESE, MODI = "ferdinand-marcos-jr", "anthony-albanese", "narendra-modi"
RAA, RAA_AU, RAA_UK, RAA_PH = (
    "reciprocal-access-agreement",
    "raa-japan-australia",
    "raa-japan-uk",
    "raa-japan-philippines",
)
OSA, QUAD, FOIP = "official-security-assistance", "quad", "free-and-open-indo-pacific"

# (id, text, expected counts). Ids start with the language; "trap" marks a look-alike passage.
PASSAGES: list[tuple[str, str, dict[str, int]]] = [
    # --- Japanese ------------------------------------------------------------------------
    ("ja-signing",
     "岸田文雄首相は８日、来日したフィリピンのマルコス大統領と首相官邸で会談し、自衛隊と"
     "フィリピン軍の往来を容易にする部隊間協力円滑化協定（ＲＡＡ）に署名した。岸田首相は"
     "共同記者発表で「両国の協力は新たな段階に入った」と述べた。マルコス氏は政府安全保障能力"
     "強化支援（ＯＳＡ）による沿岸監視レーダーの供与に謝意を示した。",
     {KISHIDA: 2, MARCOS: 2, RAA_PH: 1, OSA: 1}),
    ("ja-headline-in-force",
     "日比円滑化協定が発効　共同訓練の手続き簡素化\n"
     "日本とフィリピンの円滑化協定が１１日、発効した。日本にとっては日豪、日英に続く３例目の"
     "円滑化協定となる。",
     {RAA_PH: 3}),
    ("ja-ishiba-call",
     "石破茂首相は２７日、オーストラリアのアルバニージー首相と電話で協議した。両首脳は"
     "日豪円滑化協定に基づく共同訓練の拡充で一致した。石破氏は岸田政権が創設した政府安全"
     "保障能力強化支援の対象拡大にも触れた。",
     {ISHIBA: 2, ALBANESE: 1, RAA_AU: 1, KISHIDA: 1, OSA: 1}),
    ("ja-quad-summit",
     "バイデン米大統領は２１日、地元デラウェア州で日米豪印（クアッド）首脳会合を主催した。"
     "岸田総理、モディ印首相、アルバニージー豪首相が出席し、「自由で開かれたインド太平洋"
     "（ＦＯＩＰ）」の実現に向けた協力を確認した。バイデン氏にとっては任期中最後の"
     "クアッド首脳会合となった。",
     {BIDEN: 2, KISHIDA: 1, MODI: 1, ALBANESE: 1, QUAD: 2, FOIP: 1}),
    ("ja-trap-drama-prize",
     "第６９回岸田國士戯曲賞の選考会が都内で開かれ、若手劇作家の作品が受賞した。選考委員は"
     "「岸田國士の名にふさわしい」と評した。",
     {}),
    ("ja-trap-sleep-apnoea",
     "睡眠時無呼吸症候群（ＯＳＡ）の患者は国内に数百万人いるとされる。ＯＳＡの治療には"
     "ＣＰＡＰ療法が広く用いられ、日本の学会も指針を改めた。",
     {}),
    ("ja-trap-quad-core",
     "新モデルはクアッドコアのプロセッサーとクアッドカメラを備え、日本とインドで同時に発売"
     "される。",
     {}),
    ("ja-korea-leaders",
     "尹錫悦（ユン・ソンニョル）大統領は岸田首相との首脳会談で日韓関係の改善を強調した。"
     "尹大統領は「未来志向の関係を築く」と語った。",
     {YOON: 2, KISHIDA: 1}),
    ("ja-lee-ishiba",
     "韓国の李在明（イ・ジェミョン）大統領は３０日、石破茂首相と会談した。李大統領にとって"
     "就任後初の来日となった。",
     {LEE: 2, ISHIBA: 1}),
    ("ja-trump-takaichi",
     "トランプ米大統領は高市早苗首相と会談し、日米同盟の強化を確認した。トランプ氏は"
     "「日本は最も重要な同盟国の一つだ」と語った。高市首相は防衛費の増額方針を説明した。",
     {TRUMP: 2, TAKAICHI: 2}),
    ("ja-osa-fullwidth",
     "政府は２０２４年度のＯＳＡの対象国にフィリピン、マレーシアなど４カ国を選んだ。"
     "ＯＳＡは同志国の軍に防衛装備品を無償で提供する枠組みで、２３年度に創設された。",
     {OSA: 2}),
    ("ja-foip-headline",
     "日米首脳、ＦＯＩＰ推進で一致\n"
     "岸田首相とバイデン大統領は首脳会談で、自由で開かれたインド太平洋の実現に向け連携を"
     "確認した。",
     {FOIP: 2, KISHIDA: 1, BIDEN: 1}),
    ("ja-trap-marcos-father",
     "フィリピンでは１９７２年、故マルコス大統領が戒厳令を布告した。マルコス元大統領の独裁は"
     "８６年の政変で終わった。",
     {}),
    ("ja-uk-raa",
     "日英円滑化協定が発効　英軍との共同訓練容易に\n"
     "日英両政府が署名した円滑化協定が１１日に発効した。",
     {RAA_UK: 2}),
    # --- Korean --------------------------------------------------------------------------
    ("ko-camp-david",
     "윤석열 대통령과 기시다 후미오 일본 총리, 조 바이든 미국 대통령은 18일 캠프 데이비드에서 "
     "한미일 정상회의를 열었다. 윤 대통령은 회의 뒤 기자회견에서 “3국 협력의 새 시대가 "
     "열렸다”고 말했다. 기시다 총리는 ‘자유롭고 열린 인도·태평양’ 구상을 거듭 강조했다.",
     {YOON: 2, KISHIDA: 2, BIDEN: 1, FOIP: 1}),
    ("ko-lee-ishiba",
     "이재명 대통령이 30일 도쿄에서 이시바 시게루 일본 총리와 정상회담을 했다. 이 대통령은 "
     "“셔틀 외교를 복원하겠다”고 밝혔고, 이시바 총리는 한일 협력을 강조했다.",
     {LEE: 2, ISHIBA: 2}),
    ("ko-marcos-albanese",
     "마르코스 필리핀 대통령은 앨버니지 호주 총리와 만나 남중국해 문제를 논의했다. "
     "앨버니지 총리는 필리핀과의 방위 협력을 넓히겠다고 했다.",
     {MARCOS: 1, ALBANESE: 2}),
    ("ko-quad",
     "미국·일본·호주·인도 4개국 안보협의체인 쿼드(Quad) 정상회의가 내년 인도에서 열린다. "
     "모디 인도 총리는 쿼드가 인도·태평양 지역의 평화에 기여한다고 말했다.",
     {QUAD: 2, MODI: 1}),
    ("ko-raa-signing",
     "일본과 필리핀이 자위대와 필리핀군의 상호 방문을 쉽게 하는 상호접근협정(RAA)에 "
     "서명했다. 일본이 이런 협정을 맺은 것은 호주, 영국에 이어 세 번째다.",
     {RAA_PH: 1}),
    ("ko-osa",
     "일본 정부는 공적안보지원(OSA)을 통해 필리핀에 연안 감시 레이더를 제공하기로 했다. "
     "OSA는 2023년 도입된 제도로 우방국 군대에 장비를 무상으로 지원한다.",
     {OSA: 2}),
    ("ko-trap-quad-skating",
     "그는 프리스케이팅에서 쿼드 토루프와 쿼드 살코를 깨끗하게 뛰었다. 쿼드러플 점프 "
     "두 개를 성공시킨 것은 이번 시즌 처음이다.",
     {}),
    ("ko-trap-other-lees",
     "이명박 전 대통령과 이낙연 전 총리가 한자리에 모였다. 이 전 대통령은 기자들의 질문에 "
     "답하지 않았다. 이 대통령령은 내년부터 시행된다.",
     {}),
    ("ko-yoon-government",
     "윤석열 정부는 ‘자유, 평화, 번영의 인도·태평양 전략’을 발표했다. 윤 정부의 전략은 "
     "일본의 구상과는 결이 다르다.",
     {YOON: 2}),
    ("ko-biden-particles",
     "바이든 대통령의 임기 마지막 해, 바이든은 쿼드 정상회의를 고향 윌밍턴에서 열었다.",
     {BIDEN: 2, QUAD: 1}),
    ("ko-raa-middle-dot",
     "일·필리핀 상호접근협정(RAA)이 11일 발효됐다. 필리핀 국방부는 합동훈련이 늘어날 "
     "것이라고 밝혔다.",
     {RAA_PH: 1}),
    ("ko-trap-modi-word",
     "모디슈머 열풍으로 라면 조합법이 인기를 끌었다. 모디파이 차량 시장도 커지고 있다.",
     {}),
    # --- Chinese (simplified, then traditional) ------------------------------------------
    ("zh-kishida-biden",
     "日本首相岸田文雄与美国总统拜登在华盛顿举行会谈。拜登表示，美日同盟是地区和平的基石。"
     "岸田称将与美方共同推进“自由开放的印太”。",
     {KISHIDA: 2, BIDEN: 2, FOIP: 1}),
    ("zh-raa-manila",
     "菲律宾总统小马科斯与日本首相岸田文雄7月8日在马尼拉签署《互惠准入协定》。马科斯表示，"
     "该协定将提升两国防务合作水平。",
     {MARCOS: 2, KISHIDA: 1, RAA_PH: 1}),
    ("zh-trap-li",
     "国务院总理李强会见新加坡总理李显龙。李强表示，中新关系保持良好势头。前总理李克强"
     "也曾访问新加坡。台湾前总统李登辉曾多次访日。",
     {}),
    ("zh-modi-albanese",
     "澳大利亚总理阿尔巴尼斯与印度总理莫迪通电话。莫迪说，四方安全对话应在印太地区发挥"
     "建设性作用。",
     {ALBANESE: 1, MODI: 2, QUAD: 1}),
    ("zh-trap-sichuan",
     "他说一口地道的川普，也就是四川普通话。法国作家莫迪亚诺的小说也被译成了中文。",
     {}),
    ("zh-trap-marcos-father",
     "1972年，老马科斯宣布菲律宾全境实行戒严。马科斯独裁统治一直持续到1986年。",
     {}),
    ("zh-hunter",
     "美国总统拜登之子亨特·拜登周二出庭受审。亨特·拜登被控非法持有枪支。",
     {BIDEN: 1}),
    ("zh-yoon",
     "韩国总统尹锡悦3日深夜宣布紧急戒严。尹锡悦在讲话中称此举是为了保护宪政秩序。"
     "尹总统的决定数小时后被国会否决。",
     {YOON: 3}),
    ("zh-trap-yin",
     "楚国设令尹一职，令尹子文三次出任此职。",
     {}),
    ("zh-quad-quotes",
     "美日印澳“四方机制”外长会议在东京举行，各方讨论了印太地区局势。",
     {QUAD: 1}),
    ("zh-trump-takaichi",
     "美国总统特朗普在东京会见日本首相高市早苗。特朗普称，美日同盟坚如磐石。",
     {TRUMP: 2, TAKAICHI: 1}),
    ("zh-tw-raa",
     "日本與菲律賓簽署的《互惠準入協定》今年9月正式生效，菲律賓總統小馬可仕對此表示歡迎。",
     {RAA_PH: 1, MARCOS: 1}),
    ("zh-tw-trump-ishiba",
     "美國總統川普與日本首相石破茂通電話，雙方確認美日同盟的重要性。",
     {TRUMP: 1, ISHIBA: 1}),
    ("zh-tw-albanese",
     "菲律賓總統小馬可仕今天與澳洲總理艾班尼斯會面，雙方重申支持「自由開放的印太」。",
     {MARCOS: 1, ALBANESE: 1, FOIP: 1}),
    # --- other languages -----------------------------------------------------------------
    ("es-signing",
     "El primer ministro japonés, Fumio Kishida, y el presidente filipino, Ferdinand Marcos "
     "Jr., firmaron el Acuerdo de Acceso Recíproco en Manila. Kishida afirmó que el pacto "
     "refuerza la disuasión.",
     {KISHIDA: 2, MARCOS: 1, RAA_PH: 1}),
    ("de-visit",
     "Beim Quad-Gipfel in Tokio trafen sich Biden, Modi, Albanese und Kishida. Kishidas "
     "Gastgeberrolle wurde gelobt.",
     {QUAD: 1, BIDEN: 1, MODI: 1, ALBANESE: 1, KISHIDA: 2}),
    ("fr-visit",
     "Le président américain Joe Biden a reçu le Premier ministre indien Narendra Modi à la "
     "Maison Blanche. Biden a salué le rôle du Quad pour un Indo-Pacifique libre et ouvert.",
     {BIDEN: 2, MODI: 1, QUAD: 1, FOIP: 1}),
    ("id-signing",
     "Presiden Filipina Ferdinand Marcos Jr. dan Perdana Menteri Jepang Fumio Kishida "
     "menandatangani Perjanjian Akses Timbal Balik (RAA) di Manila. Marcos mengatakan "
     "perjanjian itu memperkuat pertahanan kedua negara.",
     {MARCOS: 2, KISHIDA: 1, RAA_PH: 1}),
    ("vi-signing",
     "Thủ tướng Nhật Bản Kishida Fumio và Tổng thống Philippines Ferdinand Marcos Jr. đã ký "
     "Hiệp định Tiếp cận Đối ứng (RAA) tại Manila.",
     {KISHIDA: 1, MARCOS: 1, RAA_PH: 1}),
    # --- a second batch, written after the fixes above and run before any further change
    ("ja-editorial",
     "社説　日豪の安保協力を深めよ\n岸田政権は豪州との円滑化協定を発効させた。ア"
     "ルバニージー氏も「歴史的な一歩」と評価した。日本は同志国へのＯＳＡも拡充すべ"
     "きだ。",
     {KISHIDA: 1, RAA_AU: 1, ALBANESE: 1, OSA: 1}),
    ("ja-modi",
     "インドのモディ首相は１０日、岸田文雄首相と電話会談した。両首脳はクアッドの連"
     "携強化で一致した。",
     {MODI: 1, KISHIDA: 1, QUAD: 1}),
    ("ja-trap-abe",
     "安倍晋三元首相は２０１６年、「自由で開かれたインド太平洋」構想を打ち出した。"
     "菅義偉前首相もこれを継承した。",
     {FOIP: 1}),
    ("ko-raa-uk",
     "일본과 영국은 상호접근협정(RAA)을 체결해 자위대와 영국군의 공동훈"
     "련 절차를 간소화했다.",
     {RAA_UK: 1}),
    ("ko-kishida-headline",
     "기시다 “北 미사일 용납 못해”…한미일 공조 강조\n기시다 후미오 일"
     "본 총리는 14일 기자들과 만나 이같이 말했다.",
     {KISHIDA: 2}),
    ("ko-trap-yoon-other",
     "윤봉길 의사 기념관에서 열린 행사에 윤여정 배우가 참석했다.",
     {}),
    ("zh-osa",
     "日本政府通过“政府安全保障能力强化支援”（OSA）向菲律宾提供海岸监视雷达。"
     "这是OSA框架下的首批项目。",
     {OSA: 2}),
    ("zh-trap-li-hk",
     "香港特首李家超会见新加坡总统尚达曼。李家超表示……",
     {}),
    ("zh-tw-quad",
     "美日印澳四方安全對話（Quad）外長會議在東京舉行，莫迪政府派外長出席。",
     {QUAD: 1, MODI: 1}),
    ("en-trap-late",
     "The late Ferdinand Marcos imposed martial law in 1972. Marcos ruled until 1986.",
     {}),
    ("tl-marcos",
     "Nilagdaan ni Pangulong Marcos at ni Punong Ministro Kishida ang Reciprocal Acces"
     "s Agreement sa Malacañang.",
     {MARCOS: 1, KISHIDA: 1, RAA_PH: 1}),
    ("vi-quad",
     "Thủ tướng Ấn Độ Narendra Modi và Tổng thống Mỹ Joe Biden thảo luận về Bộ Tứ (Qua"
     "d) tại Washington.",
     {MODI: 1, BIDEN: 1, QUAD: 1}),
    ("id-osa",
     "Jepang memberikan radar pengawas pantai kepada Filipina melalui program Official"
     " Security Assistance (OSA).",
     {OSA: 1}),
    ("ja-trap-takaichi",
     "高市早苗首相は所信表明演説で「自由で開かれたインド太平洋」を外交の柱に据える"
     "と述べた。高市氏は防衛力強化も訴えた。",
     {TAKAICHI: 2, FOIP: 1}),
]


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_watchlist(default_watchlist_path()))


def counts(tagger: Tagger, text: str) -> Counter[str]:
    return Counter(m.entity for m in tagger.tag(text))


@pytest.mark.parametrize(("name", "text", "expected"), PASSAGES, ids=[p[0] for p in PASSAGES])
def test_press_passage(tagger: Tagger, name: str, text: str, expected: dict[str, int]) -> None:
    assert counts(tagger, text) == Counter(expected)


def score(tagger: Tagger) -> str:
    """Document x entity P/R/F1 and exact counts over PASSAGES (run this file as a script)."""
    tp = fp = fn = exact = pairs = 0
    for _, text, expected in PASSAGES:
        got = counts(tagger, text)
        for entity in set(expected) | set(got):
            g, p = expected.get(entity, 0), got.get(entity, 0)
            pairs += 1
            exact += g == p
            tp += g > 0 and p > 0
            fp += g == 0 and p > 0
            fn += g > 0 and p == 0
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f"P {precision:.3f}  R {recall:.3f}  F1 {f1:.3f}  exact {exact}/{pairs}"


if __name__ == "__main__":
    press_tagger = Tagger(load_watchlist(default_watchlist_path()))
    for name, text, expected in PASSAGES:
        got = counts(press_tagger, text)
        if got != Counter(expected):
            print(f"{name}: expected {dict(expected)} got {dict(got)}")
    print(score(press_tagger))
