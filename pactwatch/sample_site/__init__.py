"""The bundled sample news site that `make demo` and the tests crawl.

Three fictional outlets (The Harbour Times, Pacific Ledger, Meridian Wire) publish original
articles dated relative to the day the site is built, with feeds, sitemaps and the usual page
furniture, so the whole ingest pipeline can run offline against realistic HTML.

    with SampleSite(today=date(2026, 11, 25)) as site:
        site.base_url, site.articles, site.sources_yaml(), site.requests
"""

from pactwatch.sample_site.models import ENTITY_IDS, SampleArticle, previous_iso_monday
from pactwatch.sample_site.server import SampleSite

__all__ = ["ENTITY_IDS", "SampleArticle", "SampleSite", "previous_iso_monday"]
