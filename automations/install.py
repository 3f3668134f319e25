"""Install the automations in this folder on the Prefect server at PREFECT_API_URL.

Each YAML file is one automation. An action may name its deployment (`deployment:
flow-name/deployment-name`); it is replaced by the deployment's id, which the API requires.
An automation of the same name is replaced, so running this twice leaves one copy.

    python automations/install.py            # every automations/*.yaml
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from prefect import get_client
from prefect.events.schemas.automations import AutomationCore

HERE = Path(__file__).resolve().parent


def resolve(definition: dict[str, Any], client: Any) -> AutomationCore:
    """The automation of `definition`, with deployment names turned into ids."""
    for action in definition.get("actions", []):
        name = action.pop("deployment", None)
        if name:
            action["deployment_id"] = str(client.read_deployment_by_name(name).id)
    return AutomationCore.model_validate(definition)


def install(paths: list[Path]) -> list[str]:
    """Create (or replace) one automation per file; return their names."""
    names = []
    with get_client(sync_client=True) as client:
        for path in paths:
            automation = resolve(yaml.safe_load(path.read_text(encoding="utf-8")), client)
            for old in client.read_automations_by_name(automation.name):
                client.delete_automation(old.id)
            client.create_automation(automation)
            names.append(automation.name)
    return names


if __name__ == "__main__":
    files = [Path(p) for p in sys.argv[1:]] or sorted(HERE.glob("*.yaml"))
    for installed in install(files):
        print(f"installed automation {installed}")
