"""Tagging: the watchlist (loaded and validated from YAML) and the Tagger counting its mentions."""
