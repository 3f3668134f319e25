"""Off-topic articles that look tempting to a naive tagger but mention no tracked entity.

Each one is a deliberate trap: a chef called Albanese, quad bikes, a quad-core phone, the
"Indo-Pacific warm pool" next to pools that are "free and open", a history piece naming
Imelda Marcos, and a cricket final at the stadium named after India's prime minister.
Their expected entity set is empty.
"""

from __future__ import annotations

from pactwatch.sample_site.models import ArticleSpec, DaysAgo, PrevWeek

NO_ENTITIES: frozenset[str] = frozenset()

FOOD_FESTIVAL = ArticleSpec(
    key="harbour-food-festival-chef-albanese",
    outlet="harbour-times",
    slug="chef-rosa-albanese-chilli-mussels-steal-food-festival",
    section="Life",
    title="Chef Rosa Albanese's chilli mussels steal the show at the Harbourside Food Festival",
    standfirst=(
        "Queues snaked past the ferry terminal as more than forty stalls fed an estimated "
        "thirty thousand visitors over the weekend."
    ),
    authors=("Tom Ellery",),
    when=PrevWeek(day=1, hour=18, minute=30),
    entities=NO_ENTITIES,
    body="""
        The longest queue at this year's Harbourside Food Festival did not lead to a celebrity food
        truck or a dessert designed for social media. It led to a modest white tent near the ferry
        terminal, where chef Rosa Albanese and her two sons spent the weekend ladling chilli
        mussels into paper boats as fast as the steam would allow.

        Albanese, who has run a small trattoria in the old wharf district for nineteen years, said
        she had prepared three hundred kilograms of mussels for the two days and sold out by
        mid-afternoon on Sunday. "My mother cooked them this way in Puglia, with a little too much
        chilli and a lot of bread," she said, wiping her hands on an apron that had clearly seen
        better days. "People here like it the same way, it turns out."

        More than forty stalls took part, from Sri Lankan hoppers and Korean fried chicken to a
        Tasmanian oyster bar that shucked, by its own count, eleven thousand oysters. Organisers
        estimated that about thirty thousand people passed through the gates, helped by mild
        weather and a new late-night session on Saturday with live music on the pier.

        Judges from the regional restaurant association named the Albanese stall best savoury dish,
        ahead of a smoked brisket roll and a vegetarian laksa that many visitors thought deserved
        the prize. The people's choice award went to a family-run gelato cart that served a salted
        caramel and macadamia flavour created for the event.

        Not everything went smoothly. Several stallholders complained about the cost of permits and
        the distance to the nearest water supply, and some residents of nearby apartments objected
        to the noise from the Saturday night session. A council spokeswoman said the feedback would
        be considered before next year's festival.

        For Albanese, the weekend was mostly about family. Her youngest son, who trained as a
        pastry chef in Melbourne, sold out of cannoli on both days. "He thinks he is the real
        star," she said with a laugh. "Next year, maybe he is right."
    """,
)

QUAD_BIKE_RACE = ArticleSpec(
    key="meridian-quad-bike-championship",
    outlet="meridian-wire",
    slug="quad-bike-title-goes-to-the-wire-at-ridgeback-valley",
    section="Sport",
    title="Quad bike title goes to the wire at a rain-soaked Ridgeback Valley",
    standfirst=(
        "Two riders started the final round level on points. Only one of them found a way "
        "through the mud."
    ),
    authors=("Callum Reid",),
    when=PrevWeek(day=5, hour=17, minute=20),
    entities=NO_ENTITIES,
    body="""
        The national quad bike championship was decided on the final lap of the final race at
        Ridgeback Valley on Saturday, after a day of heavy rain turned the circuit into something
        closer to a ploughed field than a racetrack.

        Jess Harlow and Connor Blaine arrived at the last round level on points, and the two riders
        traded the lead four times in the deciding race. Harlow, riding for a small team based in
        the hills north of the valley, made the decisive move at the hairpin above the river
        crossing, sliding her quad down the inside as Blaine's machine bogged down in a rut that
        had swallowed several bikes earlier in the day.

        "I couldn't see anything for the last two laps, my goggles were full of mud," Harlow said
        afterwards, still caked from helmet to boots. "I just aimed for where I thought the track
        was and hoped the bike kept going."

        Blaine, the defending champion, finished four seconds behind and was gracious in defeat. He
        said a gearbox problem in the morning heats had forced his mechanics into a rushed repair,
        and that the bike had never felt quite right. "That is racing. She rode better today and
        she deserves it," he said.

        The weather disrupted the programme throughout the day. Two junior quad classes were cut
        short when marshals could no longer reach stranded bikes safely, and the side-by-side buggy
        race was postponed to a date yet to be confirmed. Organisers praised volunteers who dug
        competitors' vehicles out of the worst sections by hand.

        Attendance was down on last year, with the car parks partly flooded, but several hundred
        spectators lined the fences in rain jackets, and many stayed until the presentation in the
        late afternoon.

        Harlow's title is the first for a rider from her club in more than a decade. She said she
        planned to spend the off-season rebuilding her bike and, before that, finding a very long
        hot shower.
    """,
)

QUAD_CORE_PHONE = ArticleSpec(
    key="ledger-kestrel-7-phone-review",
    outlet="pacific-ledger",
    slug="kestrel-7-review-quad-core-phone-two-day-battery",
    section="Technology",
    title="Kestrel 7 review: a quad-core phone that makes two days look easy",
    standfirst=(
        "The mid-range handset trades raw speed for stamina, and for most people that is the "
        "right bargain."
    ),
    authors=("Yuki Hanamura",),
    when=PrevWeek(day=0, hour=19, minute=0),
    entities=NO_ENTITIES,
    body="""
        The Kestrel 7 is not a fast phone by current standards. Its quad-core processor is a
        generation behind the chips in flagship handsets, and benchmark charts will not flatter it.
        Yet after two weeks of daily use, it is the phone I would recommend to most people who ask,
        because it does the one thing many expensive rivals still struggle with: it lasts.

        On a typical day of messaging, maps, podcasts and a little photography, the battery rarely
        dropped below forty per cent by bedtime. On quieter weekends it went well into a second
        day. The maker credits an efficient display and careful software tuning, and the results
        bear that out.

        The 6.4-inch screen is bright enough to read outdoors at midday, though colours look
        slightly cool next to more expensive panels. The plastic back feels sturdier than it looks,
        and the phone is noticeably lighter than most of its competitors, which makes one-handed
        use easier than usual.

        Performance is fine for everyday tasks. Apps open promptly, scrolling is smooth, and the
        quad-core chip handled video calls without complaint. Demanding games are another story:
        frame rates dip in busy scenes and the back of the phone warms up after twenty minutes or
        so. Anyone who plays a lot should look elsewhere.

        The main camera takes pleasing photos in daylight, with natural colours and decent detail.
        In dim light it struggles, and the ultra-wide lens is soft at the edges. The front camera
        is adequate for video calls and not much more.

        The software is close to the standard version of the operating system, with a handful of
        preinstalled apps that can be removed. The maker promises four years of security updates,
        which is generous at this price.

        Verdict: if you want the fastest phone or the best camera, the Kestrel 7 is not for you. If
        you want a phone that gets through a long day, and the next one, without a charger, it is
        hard to beat for the money.
    """,
)

HUMID_WEEK = ArticleSpec(
    key="harbour-weather-humid-week",
    outlet="harbour-times",
    slug="humid-week-ahead-as-warm-indo-pacific-waters-linger",
    section="Weather",
    title="Humid week ahead as warm Indo-Pacific waters linger off the coast",
    standfirst=(
        "Forecasters expect sticky nights, afternoon storms and sea temperatures well above "
        "the seasonal average."
    ),
    authors=("Ben Carroway",),
    when=DaysAgo(days=4, hour=10, minute=5),
    entities=NO_ENTITIES,
    body="""
        Residents should prepare for a sticky week, with forecasters predicting overnight
        temperatures that will barely dip below twenty-four degrees and a good chance of storms on
        most afternoons.

        The culprit is the sea. Water temperatures off the coast are running more than a degree and
        a half above the seasonal average, part of a broad expanse of unusually warm water across
        the Indo-Pacific warm pool, the region of tropical ocean that strongly influences rainfall
        across the region. Warm water feeds moisture into the lower atmosphere, and that moisture
        is what turns a hot afternoon into a thunderstorm.

        "We are seeing classic build-up conditions," said a senior forecaster at the regional
        weather office. "Clear mornings, cloud building from late morning, and then storms moving
        towards the coast between three and seven in the afternoon. Some of those storms could
        bring hail and damaging gusts."

        Rainfall totals are likely to vary widely. Some suburbs may record more than fifty
        millimetres in an hour while others a few kilometres away stay dry. Motorists are urged not
        to drive through flooded roads, and residents are advised to clear gutters and secure loose
        outdoor furniture before the weekend.

        There is some relief for those looking to cool off. The council confirmed that its ocean
        baths and harbour swimming enclosures will remain free and open to the public throughout
        the week, with extended lifeguard hours at the two busiest sites. Beachgoers are reminded
        to swim between the flags, as northerly winds are expected to produce dangerous rips at
        several beaches.

        Health authorities have also issued advice for older residents and people with heart or
        lung conditions, who are more vulnerable during humid nights. Drinking plenty of water,
        checking on elderly neighbours and using fans or air conditioning where possible were among
        the recommendations.

        A cooler southerly change is expected to reach the coast early next week, bringing lower
        humidity and a drop in overnight temperatures of several degrees.
    """,
)

MARIKINA_SHOES = ArticleSpec(
    key="ledger-marikina-shoe-museum",
    outlet="pacific-ledger",
    slug="marikina-shoe-museum-keeps-awkward-history-on-display",
    section="Travel",
    title="In Marikina, a shoe museum keeps an awkward history on display",
    standfirst=(
        "Hundreds of pairs once owned by Imelda Marcos share a small museum with the tools of "
        "the craftsmen who made the city famous."
    ),
    authors=("Daniel Reyes",),
    when=DaysAgo(days=9, hour=14, minute=20),
    entities=NO_ENTITIES,
    body="""
        Marikina, a city on the eastern edge of Metro Manila, has called itself the shoe capital of
        the Philippines for the better part of a century. Its small shoe museum, housed in a
        restored colonial-era building near the river, tells that story, and another one that
        visitors tend to remember more vividly.

        The main hall is devoted to several hundred pairs that once belonged to Imelda Marcos, the
        former first lady whose vast collection of footwear became a symbol of excess after her
        family fled the presidential palace in 1986. Rows of glass cases hold evening shoes in
        every colour, many of them made by local craftsmen, some barely worn.

        Guides handle the subject carefully. Some visitors come to marvel, others to be angry, and
        many are simply curious about a piece of history they have heard about all their lives. The
        museum's labels stick to facts: where the shoes were found, who made them and how they came
        to Marikina.

        The quieter rooms are, for many, the most rewarding. They display the lasts, awls and
        sewing machines used by the city's shoemakers, along with photographs of family workshops
        from the 1950s and 1960s, when Marikina supplied much of the country's footwear. A short
        film explains how cheap imports hollowed out the industry in the following decades, and how
        a handful of workshops survive by making shoes to order.

        Outside, a few of those workshops sell directly to visitors. Prices are modest, and a pair
        of handmade leather loafers can be ready within a week. Several shoemakers said the museum
        brings in customers who would otherwise never visit the city.

        The museum is open from Tuesday to Sunday, and entry costs less than a cup of coffee. It is
        best reached by taxi or ride-hailing from central Manila, and visitors should allow an
        hour, or longer if they intend to buy shoes.
    """,
)

CRICKET_FINAL = ArticleSpec(
    key="meridian-cricket-final-ahmedabad",
    outlet="meridian-wire",
    slug="comets-collapse-late-as-coastal-kings-take-final-in-ahmedabad",
    section="Sport",
    title="Comets collapse late as Coastal Kings take the final in Ahmedabad",
    standfirst=(
        "Needing 31 from the last four overs with seven wickets in hand, the Comets lost six "
        "for 18 in front of a vast crowd."
    ),
    authors=("Callum Reid",),
    when=DaysAgo(days=6, hour=20, minute=30),
    entities=NO_ENTITIES,
    body="""
        The Coastal Kings won the Western Premier T20 title on Saturday night after a dramatic late
        collapse by the Ahmedabad Comets in front of a crowd of more than ninety thousand at the
        Narendra Modi Stadium.

        Chasing 172, the home side looked in control for most of the evening. Opener Ravi Deshmukh
        made a fluent 58 from 41 balls, and the Comets needed 31 from the final four overs with
        seven wickets in hand. What followed was a collapse that silenced one of the largest
        cricket grounds in the world.

        Left-arm spinner Farhan Qureshi removed Deshmukh and the Comets' captain in the seventeenth
        over, and fast bowler Danny Hollis then took three wickets in the nineteenth, including two
        with yorkers that crashed into the base of the stumps. The Comets lost six wickets for 18
        runs and finished on 160 for nine, eleven short.

        "At 140 for three, I thought we had lost," said the Kings' captain, Aditya Rane, who had
        earlier top-scored with 64. "But finals do strange things to people. We kept telling the
        bowlers to hit their spots and make them take risks, and it worked."

        The Comets' coach admitted that his batters had panicked. "We had the game in our hands and
        we tried to finish it too quickly," he said. "That is a lesson, and a painful one."

        Hollis was named player of the match for his figures of four for 27, while Deshmukh
        finished as the tournament's leading run-scorer with 486 runs at a strike rate above 150.

        The Kings, who finished only fifth in the league stage, became the first side to win the
        title from outside the top two. Their players celebrated on the outfield long after the
        presentation, watched by a few thousand of their travelling fans who had stayed to sing in
        the stands.
    """,
)

OFFTOPIC_ARTICLES: tuple[ArticleSpec, ...] = (
    FOOD_FESTIVAL,
    QUAD_BIKE_RACE,
    QUAD_CORE_PHONE,
    HUMID_WEEK,
    MARIKINA_SHOES,
    CRICKET_FINAL,
)
