"""Extracting one article from its HTML: `extract_article(html, url) -> Article` and its parts."""
