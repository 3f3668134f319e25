"""Listings: parsing feeds, sitemaps and front pages into candidate articles; loading sources."""
