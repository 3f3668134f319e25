"""Page furniture the extractor must strip: cookie notices, reader comments, menus, footers.

Texts here are distinctive on purpose, so tests can assert that none of them leaks into the
extracted article body. None of them mentions a tracked entity, so a leak would show up as
noise rather than as a false tag that hides the failure.
"""

from __future__ import annotations

from dataclasses import dataclass

COOKIE_NOTICES: dict[str, str] = {
    "harbour-times": (
        "We use cookies and similar technologies to keep you signed in, measure our audience "
        "and show you advertising that suits your interests. Choose Accept all to continue, or "
        "manage your preferences at any time."
    ),
    "pacific-ledger": (
        "Pacific Ledger and our 143 partners store and access information on your device, such "
        "as cookies and unique identifiers, to process personal data for ads and analytics."
    ),
    "meridian-wire": (
        "Meridian Wire sets essential cookies to run this site and optional analytics cookies "
        "to understand how readers find our reporting. Your choice is remembered for a year."
    ),
}


@dataclass(frozen=True)
class Comment:
    """A reader comment; never part of the article body."""

    author: str
    age: str
    text: str
    likes: int


COMMENT_POOL: tuple[Comment, ...] = (
    Comment("harbourwatcher", "2 hours ago", "Finally a piece that explains the background "
            "instead of just repeating press releases. Bookmarked.", 41),
    Comment("Gwen from Mosman", "3 hours ago", "My late father always said you judge a "
            "newspaper by its corrections column. Still waiting for yours on the ferry fares.", 7),
    Comment("k_tanaka_88", "5 hours ago", "Interesting, although I would have liked a map. "
            "Hard to picture the distances without one.", 19),
    Comment("PeterM", "6 hours ago", "Paywall again? I subscribed last month and the app "
            "keeps logging me out every second day.", 3),
    Comment("sandgroper_sue", "8 hours ago", "Read this on the train twice over. The quotes "
            "from the researchers were the best part.", 12),
    Comment("old salt", "9 hours ago", "Spent thirty years at sea and none of this surprises "
            "me. The paperwork was always the real enemy.", 28),
    Comment("Marisol D.", "11 hours ago", "Sharing with my study group, we argued about "
            "exactly this in last week's tutorial.", 9),
    Comment("jt_in_the_hills", "yesterday", "Can someone explain why the comments section "
            "keeps sorting by oldest first? Drives me up the wall.", 2),
    Comment("Brendan O.", "yesterday", "Good article, terrible headline. Editors, please "
            "stop writing headlines for the algorithm.", 33),
    Comment("ravi.k", "2 days ago", "Would love a follow-up in six months to see what "
            "actually changed on the ground.", 15),
)


def comments_for(index: int, count: int = 3) -> list[Comment]:
    """A deterministic, article-specific slice of the pool (varies with the index)."""
    size = len(COMMENT_POOL)
    return [COMMENT_POOL[(index * 3 + step) % size] for step in range(count)]


ABOUT_PAGES: dict[str, tuple[str, ...]] = {
    "harbour-times": (
        "The Harbour Times is an independent daily covering our city, the region and the "
        "world beyond the heads since 1911.",
        "Our newsroom of sixty journalists works from the old customs house on the waterfront.",
    ),
    "pacific-ledger": (
        "Pacific Ledger is a digital publication covering politics, business and technology "
        "across the Asia-Pacific, edited from Tokyo.",
        "Readers can reach the newsroom at the address in the footer of every page.",
    ),
    "meridian-wire": (
        "Meridian Wire is a news agency supplying text, photographs and video to publishers "
        "in more than forty countries.",
        "Our copy may be republished by subscribing outlets with attribution.",
    ),
}

PRIVACY_TEXT = (
    "We collect the minimum personal data needed to run this website. You may ask us at any "
    "time what we hold about you and have it corrected or deleted."
)
