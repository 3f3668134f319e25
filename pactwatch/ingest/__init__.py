"""Ingest: the batch pipeline (discover, fetch, extract+tag, store), leases, backfill and retag."""
