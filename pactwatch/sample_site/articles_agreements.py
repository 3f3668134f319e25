"""Articles about the agreements themselves: access pacts, the security declaration and OSA.

All text is original writing for this sample site; only the underlying facts (dates, who
signed what) come from the public record. Entities are listed conservatively: an id appears
only when the text plainly names that person or agreement.
"""

from __future__ import annotations

from pactwatch.sample_site.models import ArticleSpec, PrevWeek

RAA_AUSTRALIA = ArticleSpec(
    key="harbour-raa-australia-routine",
    outlet="harbour-times",
    slug="japan-australia-access-pact-makes-joint-training-routine",
    section="Defence",
    title="Japan–Australia access pact has made joint training routine, officers say",
    standfirst=(
        "The treaty Tokyo and Canberra signed in January 2022 rarely makes headlines any more. "
        "Its designers say that was always the point."
    ),
    authors=("Maya Thornton",),
    when=PrevWeek(day=0, hour=10, minute=40),
    entities=frozenset({"raa-japan-australia", "fumio-kishida", "anthony-albanese"}),
    body="""
        When Japanese and Australian units now train together in Queensland or on Hokkaido, the
        paperwork that once took months is mostly settled before the first aircraft touches down.
        Officers on both sides give the credit to the Reciprocal Access Agreement, the treaty Tokyo
        and Canberra signed in January 2022, for turning one-off arrangements into something close
        to routine.

        The agreement sets out how each country's forces are treated while they are on the other's
        territory: which customs rules cover their equipment, how personnel cross the border, and
        which courts step in if something goes wrong off base. Before it existed, every exercise
        needed its own patchwork of permissions, a process one retired Australian logistics officer
        described to The Harbour Times as "negotiating a small treaty every time you wanted to move
        a truck".

        Prime Minister Fumio Kishida signed the pact with Scott Morrison, then Australia's leader,
        during a video summit, and called it a breakthrough. It was the first agreement of its kind
        Japan had concluded since the status-of-forces arrangement it agreed with the United States
        in 1960, and both governments said openly that they hoped it would become a template for
        other partners.

        Getting it into force took longer than many expected. Negotiators had spent years on the
        question of how a visiting service member accused of a serious crime would be handled,
        given that Japan retains the death penalty and Australia does not. The Japan–Australia RAA
        finally took effect in August 2023, by which time Anthony Albanese had replaced Morrison
        and adopted the deal as his own government's. The change of government in Canberra barely
        registered in the process, which officials in both capitals cite as proof of bipartisan
        support.

        The practical effect shows up in the exercise calendar. Fighter squadrons deploy for longer
        stretches, and amphibious units rehearse landings with fewer diplomatic clearances to
        chase. Analysts caution that the treaty creates no obligation to defend the other country;
        it is an enabling document, not an alliance.

        "People expected a ribbon-cutting moment, but the real value is that nobody has to think
        about it any more," said Eleanor Vance, a defence researcher at a Brisbane university.
        "That is what a good access agreement looks like. It disappears into the background and the
        training simply happens."
    """,
)

SECURITY_DECLARATION = ArticleSpec(
    key="ledger-security-declaration-update",
    outlet="pacific-ledger",
    slug="perth-refresh-gave-2007-security-declaration-sharper-edge",
    section="Politics",
    title="How the Perth refresh gave a 2007 security declaration a sharper edge",
    standfirst=(
        "The update Tokyo and Canberra agreed in October 2022 kept the old caveats but "
        "committed the two governments to planning, not just cooperating."
    ),
    authors=("Aiko Tanabe",),
    when=PrevWeek(day=1, hour=11, minute=15),
    entities=frozenset(
        {
            "japan-australia-security-declaration",
            "fumio-kishida",
            "anthony-albanese",
            "free-and-open-indo-pacific",
        }
    ),
    body="""
        When Kishida Fumio and Anthony Albanese met in Perth in October 2022, the document they
        signed was formally an update of a text that had been gathering dust for fifteen years. In
        practice, the revised Japan–Australia Joint Declaration on Security Cooperation described a
        relationship its original authors would have struggled to picture.

        The first declaration, agreed in 2007 when Abe Shinzo and John Howard led the two
        countries, was a cautious piece of work. It spoke of cooperation on counter-terrorism,
        disaster relief and peacekeeping, and it steered well clear of anything that could be read
        as a promise to come to the other's defence.

        The Perth version kept that last caveat but broke new ground elsewhere. The two governments
        undertook to consult each other on contingencies that could affect their sovereignty and
        regional security interests, and to consider measures in response. They pledged to widen
        joint exercises to make their forces work together more smoothly, and to cooperate on
        strategic capabilities, long-range guided weapons among them, as well as on the industries
        that build such systems.

        Both leaders framed the update in the language of a free and open Indo-Pacific, the
        regional vision Tokyo has championed for the past decade and Canberra has written into its
        own policy papers. The text also tied defence more closely to economic security, a nod to
        Australia's place as a major supplier of liquefied gas and critical minerals to Japanese
        industry.

        "The 2007 declaration was about being seen together. The 2022 one is about planning
        together," said Takeda Ren, who teaches international relations at a university in Kyoto.
        "That is a quiet change in wording and a large change in intent."

        Officials in Tokyo describe the updated declaration as a political umbrella for a growing
        list of practical arrangements, from intelligence exchanges to shared logistics. Sceptics
        in both countries note that it still stops short of a mutual defence clause, and that much
        depends on how the promise to consult would be honoured in an actual crisis.

        For now, diplomats say, the document's value lies in the habit it creates. Ministers meet
        more often, officers know their counterparts by name, and the question of whether the two
        countries should cooperate on security has been replaced by arguments over how far that
        cooperation should go.
    """,
)

RAA_UK_EXPLAINER = ArticleSpec(
    key="meridian-raa-uk-explainer",
    outlet="meridian-wire",
    slug="explainer-what-uk-japan-reciprocal-access-agreement-allows",
    section="World",
    title="Explainer: What the UK–Japan Reciprocal Access Agreement lets each military do",
    standfirst=(
        "A treaty signed at the Tower of London in January 2023 set the legal terms for British "
        "and Japanese forces to train on each other's soil."
    ),
    authors=("Hannah Cole",),
    when=PrevWeek(day=2, hour=8, minute=20),
    entities=frozenset({"raa-japan-uk", "fumio-kishida"}),
    body="""
        The Reciprocal Access Agreement between Britain and Japan, signed in London on 11 January
        2023, sets the legal terms under which each country's armed forces may deploy to the other
        for training, joint exercises and disaster relief. Here is what the treaty covers, and why
        both governments wanted it.

        Prime Minister Fumio Kishida and his British counterpart at the time, Rishi Sunak, signed
        the text at the Tower of London during a tour of G7 capitals by the Japanese leader. It was
        the second agreement of this type for Japan and the first it had concluded with a European
        country.

        In practical terms, the treaty removes the need to negotiate case-by-case permissions each
        time a British unit travels to Japan or a Japanese one to Britain. It explains how visiting
        forces bring in weapons and equipment, how personnel cross borders, how customs and taxes
        are handled, and how criminal jurisdiction is divided between the host country and the
        visitors.

        The timing reflected a broader British tilt towards the Indo-Pacific, made visible when a
        Royal Navy carrier strike group sailed through the region in 2021, and a growing Japanese
        appetite for security partners beyond the United States. The two countries had already
        agreed, with Italy, to develop a next-generation fighter jet together under the Global
        Combat Air Programme.

        After approval by both parliaments, the UK–Japan RAA entered into force in October 2023.
        Since then, British and Japanese ground, naval and air units have held exercises in both
        countries with far less administrative preparation than before.

        The agreement is not a defence pact. It contains no promise by either side to come to the
        other's aid, and it does not give either country a permanent base on the other's territory.
        "Think of it as a standing visa and rulebook for soldiers rather than an alliance," said
        Oliver Brandt, a security analyst at a London research group. "It makes cooperation
        cheaper. It does not make it automatic."

        Supporters argue that this modest scope is exactly what makes such treaties useful:
        governments can sign them without the political weight of an alliance, and then decide
        exercise by exercise how closely they want to work together.
    """,
)

RAA_UK_REPUBLISHED = ArticleSpec(
    key="harbour-raa-uk-explainer-syndicated",
    outlet="harbour-times",
    slug="explainer-uk-japan-reciprocal-access-agreement",
    section="World",
    title=RAA_UK_EXPLAINER.title,
    standfirst=RAA_UK_EXPLAINER.standfirst,
    authors=RAA_UK_EXPLAINER.authors,
    when=PrevWeek(day=4, hour=16, minute=5),  # two days after the wire original
    entities=RAA_UK_EXPLAINER.entities,
    body=RAA_UK_EXPLAINER.body,
    republish_of=RAA_UK_EXPLAINER.key,
)

RAA_PHILIPPINES = ArticleSpec(
    key="harbour-raa-philippines-talks-to-treaty",
    outlet="harbour-times",
    slug="from-talks-to-treaty-tokyo-manila-access-agreement",
    section="Defence",
    title="From talks to treaty: how Tokyo and Manila sealed their access agreement",
    standfirst=(
        "Pressure at sea pushed Japan and the Philippines to move quickly on a deal that lets "
        "their forces train on each other's territory."
    ),
    authors=("Liam Oduya",),
    when=PrevWeek(day=3, hour=13, minute=5),
    entities=frozenset({"raa-japan-philippines", "ferdinand-marcos-jr", "fumio-kishida"}),
    body="""
        By the standards of defence diplomacy, the reciprocal access agreement between Japan and
        the Philippines moved fast. Less than eighteen months passed between the first public talk
        of such a deal and the signing of a finished text, a pace that says a good deal about how
        much both governments wanted it.

        The idea surfaced in February 2023, when President Ferdinand Marcos Jr. visited Tokyo and
        he and Prime Minister Fumio Kishida spoke of deepening defence exchanges and joint
        training. Formal negotiations were announced when Kishida travelled to Manila that
        November, and the Japan–Philippines RAA was signed in Manila in July 2024 by the two
        countries' foreign and defence ministers.

        Like the agreements Japan had already concluded with other partners, the Manila text sets
        rules for the entry of troops and equipment, for customs and for criminal jurisdiction. Its
        main effect is to put Japanese participation in exercises in the Philippines, and
        Philippine training in Japan, on a settled legal footing rather than a series of improvised
        arrangements.

        The backdrop is the South China Sea. Philippine vessels have faced repeated confrontations
        with Chinese coast guard ships around Second Thomas Shoal and Scarborough Shoal, including
        the use of water cannon against supply missions. Japan, which has its own maritime dispute
        with China in the East China Sea, has watched those incidents closely.

        For President Marcos, the agreement fits a broader effort to spread the Philippines'
        security relationships beyond its treaty ally, the United States, without replacing it. For
        Tokyo, it extended a network of bilateral arrangements that officials describe as building
        blocks rather than a new alliance.

        "Manila wanted partners who would show up, and Tokyo wanted its forces to be able to show
        up without a year of paperwork," said Carmela Ruiz, who studies maritime security at a
        policy institute in Quezon City. "The treaty is the point where those two wishes meet."

        Opposition lawmakers in Manila have raised questions about how visiting forces would be
        held accountable for any incident, echoing debates that surrounded earlier access deals
        with Washington. Supporters reply that the text gives Philippine courts clearer authority
        than the ad hoc arrangements it replaces.
    """,
)

OSA_EXPLAINER = ArticleSpec(
    key="ledger-osa-inside-programme",
    outlet="pacific-ledger",
    slug="inside-official-security-assistance-japans-new-tool",
    section="Politics",
    title="Inside Official Security Assistance, Japan's new tool for equipping partners",
    standfirst=(
        "A programme launched in April 2023 carved a narrow exception to Japan's long-standing "
        "refusal to fund foreign militaries. The Philippines was first in line."
    ),
    authors=("Kenji Morioka",),
    when=PrevWeek(day=4, hour=10, minute=30),
    entities=frozenset({"official-security-assistance", "fumio-kishida"}),
    body="""
        For decades, Japanese aid came with an unbending rule: no money for armed forces. Official
        Security Assistance, the programme the Kishida government launched in April 2023, created a
        narrow exception to that rule, and the Philippines was the first country to benefit from
        it.

        The scheme sits alongside Japan's much larger development aid budget but works differently.
        Instead of roads, ports and hospitals, it provides equipment, supplies and infrastructure
        to the militaries of like-minded countries, with the stated aim of strengthening their
        security and deterrence capabilities. Officials stress that the grants centre on items such
        as coastal surveillance radar, communications gear and patrol craft, and that every
        transfer must comply with Japan's rules on exporting defence equipment.

        The first year's budget was modest, roughly two billion yen, shared among four recipients:
        the Philippines, Malaysia, Bangladesh and Fiji. The Philippine package, which paid for
        coastal radar systems to watch over the country's waters, was formalised in November 2023,
        when Prime Minister Kishida visited Manila.

        OSA was written into the national security strategy Japan adopted in December 2022, the
        same document that committed the country to acquiring counterstrike capabilities and to
        sharply higher defence spending. Its architects saw it as a way to help partners watch
        their own seas and skies, on the logic that a region where smaller states can see what is
        happening around them is harder to coerce.

        "Development aid builds the harbour. OSA helps the coast guard see who is approaching it,"
        said Sato Misaki, a former diplomat who now lectures on Japanese foreign policy in Tokyo.
        "It is a small budget line, but it marks a real change in how Japan thinks about what aid
        is for."

        Critics at home worry that the programme could become a slow path towards larger arms
        transfers, and have asked for clearer reporting on how donated equipment is used once it
        leaves Japan. The government has promised monitoring arrangements with each recipient,
        though details are rarely published.

        Later rounds have added further partners, and officials say demand from governments across
        Southeast Asia and the Pacific islands exceeds what the budget can currently supply.
    """,
)

RAA_GENERIC_EXPLAINER = ArticleSpec(
    key="meridian-access-agreements-explained",
    outlet="meridian-wire",
    slug="explainer-what-reciprocal-access-agreement-does",
    section="World",
    title="Explainer: What a reciprocal access agreement does, and what it does not",
    standfirst=(
        "Defence officials talk about access agreements more and more. The concept is simpler, "
        "and narrower, than the headlines sometimes suggest."
    ),
    authors=("Ines Duarte",),
    when=PrevWeek(day=3, hour=14, minute=10),
    entities=frozenset({"reciprocal-access-agreement"}),
    body="""
        A reciprocal access agreement, often shortened to RAA, is a treaty that sets the rules for
        one country's armed forces when they visit another country to train, exercise or help after
        a disaster, and the same rules in reverse. It answers practical questions that otherwise
        have to be settled afresh before every deployment.

        Those questions are more numerous than outsiders tend to assume. How do visiting soldiers
        enter the country, and do they need passports and visas? Can they bring rifles, ammunition
        and vehicles through customs, and who pays duty on fuel and spare parts? May they wear
        uniforms and carry weapons off base? Which courts handle a traffic accident, a bar fight or
        something far more serious?

        Countries that host foreign troops permanently usually answer such questions in a status of
        forces agreement. A reciprocal access agreement does similar work for temporary visits, and
        its defining feature is symmetry: each signatory grants the other the same treatment it
        receives.

        Criminal jurisdiction is usually the hardest part to negotiate. A typical compromise gives
        the sending country first say over offences committed while on duty and the host country
        first say over everything else, with procedures for handing over suspects and for cases
        where either side's legal system includes penalties the other rejects.

        What an RAA does not do is just as important. It carries no obligation to defend the other
        party, creates no permanent base and does not by itself authorise any particular exercise.
        Each deployment still needs the political approval of both governments.

        "People sometimes read these treaties as alliances in disguise. They are closer to a shared
        rulebook," said Marta Lindqvist, a lecturer in international law at a university in
        Edinburgh. "The rulebook matters because it lowers the cost of working together, but the
        decision to work together is still made every time."

        That modesty is why governments find such agreements attractive. They can be signed without
        the domestic controversy that a defence treaty would bring, and they leave each side free
        to decide how close the partnership becomes. Once ratified, they tend to stay out of the
        news, which their negotiators regard as a sign of success.
    """,
)

AGREEMENT_ARTICLES: tuple[ArticleSpec, ...] = (
    RAA_AUSTRALIA,
    SECURITY_DECLARATION,
    RAA_UK_EXPLAINER,
    RAA_UK_REPUBLISHED,
    RAA_PHILIPPINES,
    OSA_EXPLAINER,
    RAA_GENERIC_EXPLAINER,
)
