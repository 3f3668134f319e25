"""Articles about summits and their aftermath, dated in the current week and the ones before.

These fall outside the previous ISO week for most weekdays, so the weekly digest has
neighbouring material to exclude. Original writing; facts only from the public record.
"""

from __future__ import annotations

from pactwatch.sample_site.models import ArticleSpec, DaysAgo

OSA_MANILA = ArticleSpec(
    key="harbour-osa-manila-coastal-radar",
    outlet="harbour-times",
    slug="coastal-radar-and-politics-of-japans-security-aid-to-manila",
    section="Defence",
    title="Coastal radar and the politics of Japan's security aid to Manila",
    standfirst=(
        "Japan's Official Security Assistance is small in yen but large in symbolism, nowhere "
        "more than in the Philippines, its first recipient."
    ),
    authors=("Tom Ellery",),
    when=DaysAgo(days=1, hour=10, minute=20),
    entities=frozenset(
        {"official-security-assistance", "ferdinand-marcos-jr", "fumio-kishida"}
    ),
    body="""
        Measured in yen, Japan's Official Security Assistance barely registers next to the
        country's development aid. Measured in symbolism, it is one of the most significant changes
        in Japanese foreign policy in a generation, and nowhere is that clearer than in the
        Philippines, the first country to receive it.

        The first Philippine package was agreed in November 2023, when Fumio Kishida became the
        first Japanese prime minister to address a joint session of the Philippine Congress. During
        the same visit, he and President Ferdinand Marcos Jr. witnessed the exchange of notes for
        coastal radar systems intended to help the Philippine navy watch the approaches to the
        country's long coastline.

        Radar is not glamorous, but officials in Manila say it answers a basic problem. The
        Philippines has one of the longest coastlines in the world and a navy and coast guard that
        have long struggled to know what is happening across it. Chinese maritime militia vessels,
        foreign fishing fleets and smugglers all exploit those gaps.

        Japan was already a familiar supplier. The Philippine Coast Guard operates patrol vessels
        built in Japanese shipyards and financed through development loans, and Japanese trainers
        have worked with Filipino crews for years. The difference with OSA is that it goes to the
        armed forces directly, something Japanese aid rules once ruled out entirely.

        President Marcos has made closer ties with Tokyo a central part of his foreign policy,
        alongside a revived alliance with the United States. Japanese officials, for their part,
        describe the Philippines as a test case for whether modest, carefully limited security aid
        can make a measurable difference.

        "The equipment is the easy part. Maintenance, training and data sharing are where these
        programmes succeed or fail," said Roberto Salcedo, a retired Philippine navy captain who
        now advises on maritime policy. "If the radars are still running and feeding a common
        picture in ten years, that will be the real measure."

        Some Filipino commentators have asked whether accepting military equipment from Japan could
        draw the country deeper into great-power rivalry. Supporters answer that the country is
        already on the front line of that rivalry, and that seeing its own waters clearly is the
        least it needs.
    """,
)

WASHINGTON_TRILATERAL = ArticleSpec(
    key="ledger-washington-trilateral-summit",
    outlet="pacific-ledger",
    slug="washington-summit-drew-tokyo-and-manila-into-one-frame",
    section="Diplomacy",
    title="The Washington summit that drew Tokyo and Manila into one frame",
    standfirst=(
        "The first leaders' meeting of Japan, the Philippines and the United States turned two "
        "separate alliances into something closer to a shared project."
    ),
    authors=("Daniel Reyes",),
    when=DaysAgo(days=3, hour=13, minute=30),
    entities=frozenset({"joe-biden", "fumio-kishida", "ferdinand-marcos-jr"}),
    body="""
        In April 2024 the White House staged a picture that would have been hard to imagine a few
        years earlier: President Joe Biden seated between Prime Minister Kishida Fumio and
        President Ferdinand Marcos Jr. for the first summit ever held by the leaders of the United
        States, Japan and the Philippines.

        The meeting came in the same week as Kishida's state visit to Washington, during which he
        addressed a joint meeting of Congress and urged Americans not to doubt their country's role
        in the world. The trilateral session, held later on the day of that speech, was shorter
        but, in the view of many officials, more consequential.

        The three leaders agreed to expand coast guard cooperation, including joint patrols and
        training, and to hold more maritime exercises together. They announced a Luzon Economic
        Corridor to bring investment in ports, railways and clean energy to the Philippines' main
        island. And they issued a joint statement expressing serious concern about China's conduct
        in the South China Sea, including its repeated use of water cannon against Philippine
        vessels.

        For Manila, the summit offered reassurance at a time of mounting pressure around Second
        Thomas Shoal, where a grounded Philippine warship serves as an outpost. For Tokyo, it tied
        Japan's growing security ties with the Philippines into the alliance framework it shares
        with Washington.

        "Before this, you had two alliances that happened to share a partner. After it, you had a
        triangle with its own agenda," said Lorna Castillo, who studies Philippine foreign policy
        at a university in Cebu. "That matters because triangles are harder to break than lines."

        Critics noted that the joint statement was heavier on intentions than on funding, and that
        the economic corridor would take years to show results. Japanese commentators also pointed
        out that Tokyo had taken on new expectations without a matching public debate at home.

        Still, officials in all three capitals describe the Washington meeting as the moment
        cooperation among them became a habit rather than an exception, with ministers and coast
        guard commanders meeting regularly in the same format since.
    """,
)

ALBANESE_FIRST_QUAD = ArticleSpec(
    key="meridian-albanese-first-quad-summit",
    outlet="meridian-wire",
    slug="sworn-in-then-on-a-plane-albanese-first-quad-summit",
    section="World",
    title="Sworn in, then on a plane: Albanese's first Quad summit remembered",
    standfirst=(
        "Hours after taking office in May 2022, Australia's new prime minister was on his way "
        "to Tokyo to meet his Japanese, Indian and American counterparts."
    ),
    authors=("Hannah Cole",),
    when=DaysAgo(days=10, hour=7, minute=50),
    entities=frozenset(
        {"anthony-albanese", "quad", "fumio-kishida", "joe-biden", "narendra-modi"}
    ),
    body="""
        Few leaders have started a job the way Anthony Albanese did in May 2022. Sworn in as
        Australia's prime minister on a Monday, he was on a plane to Tokyo within hours for a
        summit of the Quad, the grouping that brings together Australia, India, Japan and the
        United States.

        The host, Prime Minister Fumio Kishida, welcomed President Joe Biden, Prime Minister
        Narendra Modi and the new Australian leader to the Japanese capital, where the four
        announced a plan to help countries across the region monitor their waters using commercial
        satellite data. They also set a goal of more than 50 billion dollars in infrastructure
        assistance and investment over five years.

        Albanese used his first appearance on the international stage to tell his counterparts that
        Australia's new government would take a more ambitious approach to climate change, a
        message aimed as much at Pacific island neighbours as at the leaders in the room. He also
        made clear that Australia's commitment to the Quad would not change with the change of
        government.

        Officials who travelled with him recall a delegation still learning its way around:
        advisers appointed days earlier, briefings written for a different prime minister, and a
        leader who had barely slept. The summit nonetheless went smoothly, and Albanese found time
        for bilateral meetings on the sidelines.

        "It was an unusual baptism, but it sent a clear signal," said Rebecca Moore, a former
        Australian diplomat who now teaches at a university in Melbourne. "A new government wanted
        the region to know on its first day that the big settings of foreign policy were not up for
        renegotiation."

        The trip set the tone for what followed. Albanese returned to Japan the following year for
        the G7 summit in Hiroshima, and the Quad has continued to meet at leaders' level despite
        changes of government in several member countries since.
    """,
)

HIROSHIMA_GUESTS = ArticleSpec(
    key="harbour-hiroshima-guest-list",
    outlet="harbour-times",
    slug="hiroshima-guest-list-said-as-much-as-communique",
    section="World",
    title="The guest list at Hiroshima said as much as the communiqué",
    standfirst=(
        "Japan's 2023 G7 summit reached well beyond the club, and the invitations revealed how "
        "Tokyo saw its place in the region."
    ),
    authors=("Maya Thornton",),
    when=DaysAgo(days=12, hour=12, minute=0),
    entities=frozenset(
        {
            "fumio-kishida",
            "yoon-suk-yeol",
            "narendra-modi",
            "anthony-albanese",
            "quad",
            "joe-biden",
        }
    ),
    body="""
        Summit communiqués are written to be forgotten; guest lists are sometimes more revealing.
        When Japan hosted the G7 in Hiroshima in May 2023, Prime Minister Fumio Kishida, who
        represents the city in parliament, invited leaders from well beyond the seven member
        states, and the choice said a great deal about how Tokyo saw the world.

        South Korea's President Yoon Suk Yeol, India's Prime Minister Narendra Modi and Australia's
        Prime Minister Anthony Albanese were among the guests, alongside the leaders of Brazil,
        Indonesia, Vietnam, the Comoros and the Cook Islands. Ukraine's president arrived in person
        partway through the meeting, turning a gathering planned around nuclear disarmament and
        economic security into a show of support for Kyiv.

        The invitations to Seoul, New Delhi and Canberra reflected Kishida's effort to link the
        security of Europe and Asia, a theme he returned to throughout his time in office. Bringing
        Yoon to Hiroshima only two months after the South Korean leader's visit to Tokyo also sent
        a message about the thaw between the two neighbours. The pair laid flowers together at the
        memorial to Korean victims of the atomic bombing, the first time leaders of the two
        countries had done so.

        Hiroshima also rescued a meeting that had been in doubt. A Quad summit planned for Sydney
        was cancelled after President Joe Biden cut short his Asian trip to deal with a budget
        standoff in Washington, so the four leaders met on the sidelines in Hiroshima instead.
        Albanese, who had been preparing to host, instead joined his counterparts for a shorter
        meeting in Japan.

        Modi used the visit to unveil a bust of Mahatma Gandhi near the Motoyasu River, a gesture
        that played well with audiences in both countries.

        "Hosts use the G7 to show who they think matters," said Helen Arkwright, who researches
        summit diplomacy at a university in Adelaide. "Kishida's list said that Japan's
        neighbourhood now runs from the Indian Ocean to the South Pacific, and that the
        conversation about Ukraine and the conversation about Asia are the same conversation."

        The final communiqué ran to dozens of pages, most of which few people read. The photographs
        of the visiting leaders in Hiroshima travelled much further.
    """,
)

QUAD_BOOK_REVIEW = ArticleSpec(
    key="ledger-book-review-lines-in-the-water",
    outlet="pacific-ledger",
    slug="review-lines-in-the-water-maps-the-quads-long-game",
    section="Books",
    title="Review: 'Lines in the Water' maps the Quad's long game",
    standfirst=(
        "A new history of the four-nation grouping is strongest on the officials who kept it "
        "alive, and weakest on what it is ultimately for."
    ),
    authors=("Haruto Ikeda",),
    when=DaysAgo(days=2, hour=16, minute=45),
    entities=frozenset({"quad", "free-and-open-indo-pacific"}),
    body="""
        Most books about the Quad are written as if the grouping were a single idea waiting to be
        realised. Miriam Sallow's "Lines in the Water" takes the opposite view, and it is the
        better for it. In her telling, the partnership of Australia, India, Japan and the United
        States is a series of improvisations by mid-ranking officials, held together less by grand
        strategy than by the discovery that working together on small things was easier than
        expected.

        Sallow, a former maritime policy adviser, is at her best on the years when the Quad barely
        existed. Her chapters on the relief effort after the 2004 tsunami, and on the quiet revival
        of officials' meetings in 2017, are built on interviews with diplomats who are rarely
        quoted, and they show how much depended on personal trust between people whose names never
        appeared in communiqués.

        She is also sharp on language. A long chapter traces how the phrase "free and open
        Indo-Pacific" moved from Japanese speeches into the documents of the other three members,
        acquiring different meanings at each stop. Sallow argues that the vagueness was a feature
        rather than a flaw, because it let four governments with different interests sign the same
        sentences.

        The book is less convincing when it turns to the future. Sallow describes the Quad's work
        on satellite monitoring of fishing fleets, vaccines and undersea cables in admiring detail,
        but she never quite answers the question her own history raises: whether a grouping built
        to avoid hard commitments can respond to a real crisis. The final chapter gestures at
        scenarios without choosing among them.

        There are also gaps. The voices of Southeast Asian and Pacific island officials, whose
        governments are often the intended beneficiaries of Quad projects, appear only in passing,
        and the economic side of the story gets less attention than the maritime one.

        Still, this is a careful, readable and often surprising account, and anyone who wants to
        understand why the Quad has lasted should start here. Its portrait of diplomacy as the
        patient accumulation of small habits is worth reading even for those with no special
        interest in the region.

        "Lines in the Water" is published by Northgate Press, 312 pages.
    """,
)

SUMMIT_ARTICLES: tuple[ArticleSpec, ...] = (
    OSA_MANILA,
    WASHINGTON_TRILATERAL,
    ALBANESE_FIRST_QUAD,
    HIROSHIMA_GUESTS,
    QUAD_BOOK_REVIEW,
)
