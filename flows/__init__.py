"""Prefect flows. `pactwatch` is imported first: it turns Prefect's analytics off before any
flow module imports Prefect."""

import pactwatch  # noqa: F401 - sets PREFECT_SERVER_ANALYTICS_ENABLED / DO_NOT_TRACK defaults
