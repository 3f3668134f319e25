"""Articles centred on leaders and groupings: the Quad, FOIP, summits and OSA in Manila.

Original writing for the sample site; facts only from the public record. Name forms vary on
purpose ("Kishida Fumio", "Yoon Suk-yeol", "the Biden administration", "President Marcos")
so alias matching is exercised.
"""

from __future__ import annotations

from pactwatch.sample_site.models import ArticleSpec, PrevWeek

QUAD_ENDURANCE = ArticleSpec(
    key="meridian-quad-quiet-endurance",
    outlet="meridian-wire",
    slug="analysis-the-quads-quiet-endurance",
    section="World",
    title="Analysis: The Quad's quiet endurance",
    standfirst=(
        "No treaty, no secretariat, no headquarters. The four-nation grouping has outlasted "
        "changes of government in every member capital all the same."
    ),
    authors=("Samuel Okafor",),
    when=PrevWeek(day=5, hour=9, minute=45),
    entities=frozenset({"quad", "narendra-modi", "joe-biden", "free-and-open-indo-pacific"}),
    body="""
        The Quad has never had a founding treaty, a secretariat or a permanent headquarters. What
        it has had, through elections and changes of leadership in all four member capitals, is
        staying power.

        The grouping of Australia, India, Japan and the United States traces its origins to the
        relief effort after the Indian Ocean tsunami of 2004. A first attempt to give it a
        diplomatic form faded within a year, and it was revived at the level of officials only in
        2017. Its leaders did not meet until March 2021, when the Biden administration convened a
        virtual summit, followed by the first in-person gathering in Washington that September.

        India is most often described as the member whose enthusiasm matters most. Prime Minister
        Narendra Modi has embraced the Quad's work on vaccines, critical technologies and disaster
        response while insisting that India remains outside any military alliance and keeping New
        Delhi's long relationship with Moscow intact. Diplomats from the other three members have
        learned to phrase joint statements accordingly.

        The grouping's most concrete project may be its maritime domain awareness initiative,
        launched in 2022, which supplies partners around the Indian Ocean and the Pacific with
        commercial satellite data so they can track vessels that switch off their transponders,
        often a sign of illegal fishing. Smaller coastal states that could never afford such
        imagery now receive it at no cost.

        Members describe the Quad's purpose as supporting a free and open Indo-Pacific, a phrase
        broad enough for each capital to read in its own way. For Washington it has often meant
        balancing China; for New Delhi, strategic autonomy with stronger friends; for smaller
        neighbours, a source of practical help that does not ask them to choose sides.

        In September 2024, President Joe Biden hosted the leaders in Wilmington, Delaware, his home
        town, in what was widely seen as a farewell gathering for him. The joint statement that
        followed listed projects on cancer screening, port infrastructure and undersea cables
        rather than anything resembling a defence commitment.

        "The Quad survives precisely because it asks so little of its members," said Anjali Mehta,
        a researcher on Indian foreign policy based in London. "Every government can sell it at
        home as cooperation rather than alliance, and that flexibility is its real strength."
    """,
)

SEOUL_TOKYO_CAMP_DAVID = ArticleSpec(
    key="harbour-seoul-tokyo-camp-david",
    outlet="harbour-times",
    slug="how-seoul-and-tokyo-turned-a-page",
    section="World",
    title="How Seoul and Tokyo turned a page, and what Camp David added",
    standfirst=(
        "A compensation plan, two visits and a weekend in Maryland reshaped a relationship that "
        "had been stuck for years."
    ),
    authors=("Grace Whitford",),
    when=PrevWeek(day=6, hour=11, minute=30),
    entities=frozenset({"yoon-suk-yeol", "fumio-kishida", "joe-biden"}),
    body="""
        When Yoon Suk-yeol became South Korea's president in May 2022, relations with Japan were
        near their lowest point in decades. A dispute over compensation for Koreans forced to work
        for Japanese companies during the colonial period had spilled into trade restrictions, and
        summit meetings between the two neighbours had all but stopped.

        Yoon chose to move first. In March 2023 his government announced that a Korean foundation
        would pay the compensation ordered by Seoul's courts, rather than waiting for the Japanese
        companies to do so. The plan was unpopular with many victims and their families, but it
        opened the door to the first stand-alone visit by a South Korean president to Tokyo in
        twelve years, which took place only days later.

        Prime Minister Fumio Kishida returned the visit in May, travelling to Seoul, and then
        invited Yoon to the G7 summit he was hosting in Hiroshima. There the two leaders paid their
        respects together at a memorial to Korean victims of the atomic bombing, a gesture that
        carried weight in both countries.

        In August 2023, President Joe Biden brought the two leaders to Camp David, the presidential
        retreat in Maryland, for the first stand-alone summit of the three countries. They agreed
        to hold trilateral military exercises every year, to share data on North Korean missile
        launches in real time, and to consult one another promptly in a regional crisis.

        "Camp David was designed to make the reconciliation harder to reverse," said Daniel Hwang,
        who researches Northeast Asian security at a university in Sydney. "The idea was to turn a
        political choice by two leaders into routines that officials would keep running whoever was
        in charge."

        That design has since been tested. Yoon's presidency collapsed after his brief declaration
        of martial law in December 2024, and leadership has changed in Tokyo and Washington as
        well. Officials in all three capitals say the missile-warning link and the exercise
        schedule have continued, which supporters of the Camp David approach regard as its
        vindication.
    """,
)

FOIP_NEW_PLAN = ArticleSpec(
    key="ledger-foip-new-plan-seminar",
    outlet="pacific-ledger",
    slug="seminar-revisits-new-plan-free-and-open-indo-pacific",
    section="Diplomacy",
    title="Seminar revisits Tokyo's 'New Plan' for a Free and Open Indo-Pacific",
    standfirst=(
        "Diplomats and scholars asked whether the framework launched in New Delhi in 2023 has "
        "lived up to its promise of partnership with the Global South."
    ),
    authors=("Priya Raman",),
    when=PrevWeek(day=2, hour=15, minute=40),
    entities=frozenset({"free-and-open-indo-pacific", "fumio-kishida", "narendra-modi"}),
    body="""
        A conference hall in central Tokyo filled this week with diplomats, academics and graduate
        students for a day-long seminar on the New Plan for a Free and Open Indo-Pacific, the
        framework that Kishida Fumio set out in a speech in New Delhi in March 2023.

        The idea of a free and open Indo-Pacific is older than the plan. Abe Shinzo introduced it
        in 2016 at an African development conference in Nairobi, describing two oceans and two
        continents joined by freedom of navigation, the rule of law and open markets. Over the
        following years it became the organising phrase of Japanese diplomacy and was adopted, with
        local variations, by partners in Washington, Canberra and several European capitals.

        The New Plan tried to give the slogan more substance. It rested on four pillars: principles
        for peace and rules for prosperity; tackling shared challenges such as climate change, food
        security and global health; connectivity across the region; and extending maritime security
        efforts to the skies. Tokyo pledged to mobilise more than 75 billion dollars in public and
        private money for infrastructure in the region by 2030.

        Several speakers argued that the choice of New Delhi as the venue mattered as much as the
        content. Prime Minister Narendra Modi's government has long preferred to describe the
        region as open and inclusive, and has been wary of anything that sounds like a bloc.
        Presenting the plan in India, and naming India an indispensable partner, was meant to show
        that the vision was not merely about containing China.

        "The original concept was good at explaining what Japan was against. The New Plan tries to
        explain what Japan is for," said Ishikawa Noriko, a professor of development economics who
        chaired the morning panel. "Whether that persuades governments in Africa or Southeast Asia
        depends on the projects, not the speeches."

        Others were more critical. A researcher from Jakarta told the audience that many
        governments in her region welcome Japanese investment but see the strategic language around
        it as a conversation among larger powers. Several participants called for clearer reporting
        on how much of the promised funding has actually been spent.

        Organisers said the proceedings will be published early next year.
    """,
)

LEADER_ARTICLES: tuple[ArticleSpec, ...] = (
    QUAD_ENDURANCE,
    SEOUL_TOKYO_CAMP_DAVID,
    FOIP_NEW_PLAN,
)
