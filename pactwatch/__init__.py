"""pactwatch: watch news sources for tracked leaders and agreements; a weekly digest.

Importing the package turns Prefect's anonymous analytics off (unless the operator set the
variables): a flow run without `make` would otherwise let Prefect's temporary server try to
reach the internet. `flows/__init__.py` imports this package first, so every entry point
(the CLI, the demo, `python -m flows.…`, a deployment) sets them before Prefect is imported.
"""

from __future__ import annotations

import os

OFFLINE = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}

for _name, _value in OFFLINE.items():
    os.environ.setdefault(_name, _value)
