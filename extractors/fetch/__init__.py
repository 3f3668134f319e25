"""The fetch boundary: one client factory, the polite Fetcher, the connection-time address check."""
