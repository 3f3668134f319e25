"""The digest's storage access, under one name for the digest's modules: the week's reads and
digest rows (`storage.queries`) and the delivery rows (`storage.deliveries`)."""

from __future__ import annotations

from storage.deliveries import (  # noqa: F401
    PRE_DATA,
    RANK,
    claim_delivery,
    deliveries_of,
    give_up_stale,
    mark_delivery,
    mark_stage,
    register_delivery,
    undelivered_since,
)
from storage.queries import (  # noqa: F401
    ArticleBrief,
    MentionBrief,
    get_digest,
    last_ingest_health,
    mention_totals,
    upsert_digest,
    week_articles,
    week_mentions,
)
