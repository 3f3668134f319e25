"""The `notify-operators` flow: email the operators about a failed or crashed run.

Started by the automation in `automations/run-failures.yaml` (installed with `make automations`)
with the id of the run that failed. Mail takes the digest's path (`pactwatch.digest.mail`):
the SMTP server of PACTWATCH_SMTP_HOST/PORT/SECURITY (or the prefect-email credentials block
named by PACTWATCH_SMTP_CREDENTIALS_BLOCK); with neither, an .eml file in PACTWATCH_OUTBOX_DIR.
Recipients: PACTWATCH_OPERATORS (comma-separated addresses). An alert that cannot be sent
fails this run (DeliveryFailed), so it shows red in the UI instead of vanishing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from uuid import UUID

from prefect import flow, get_client, get_run_logger
from prefect.settings import PREFECT_UI_URL

from pactwatch.digest.mail import MailOptions, send_alert
from pactwatch.settings import load_settings


def operators(environ: Mapping[str, str]) -> list[str]:
    """The addresses in PACTWATCH_OPERATORS (default operators@localhost)."""
    found = [a.strip() for a in environ.get("PACTWATCH_OPERATORS", "").split(",")]
    return [a for a in found if a] or ["operators@localhost"]


def alert_text(run: object, flow_name: str) -> tuple[str, str]:
    """Subject and body: run name, flow, final state and its message, a link to the run."""
    state = getattr(run, "state", None)
    state_name = state.name if state else "unknown"
    name = getattr(run, "name", "?")
    url = f"{PREFECT_UI_URL.value() or ''}/runs/flow-run/{getattr(run, 'id', '')}"
    body = (
        f"The {flow_name} run {name} ended {state_name}.\n\n"
        f"{(state.message if state else '') or '(no message)'}\n\n{url}\n"
    )
    return f"pactwatch: {flow_name} run {name} {state_name}", body


@flow(name="notify-operators")
def notify_operators(flow_run_id: str) -> str:
    """Email the operators that the flow run `flow_run_id` failed or crashed; return where
    the alert went. Fails (DeliveryFailed) when the alert could not be sent.

    Args:
        flow_run_id: Id of the run that ended badly (the automation fills it in).
    """
    options = MailOptions.from_settings(load_settings())
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(flow_run_id))
        flow_name = client.read_flow(run.flow_id).name
    subject, body = alert_text(run, flow_name)
    where = send_alert(options, operators(os.environ), subject, body)
    get_run_logger().info("alert %r sent to %s", subject, where)
    return where
