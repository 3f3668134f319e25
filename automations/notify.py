"""The `notify-operators` flow: email the operators about a failed or crashed run.

Started by the automation in `automations/run-failures.yaml` (installed with `make automations`)
with the id of the run that failed. Mail goes through the prefect-email credentials block named
by PACTWATCH_SMTP_CREDENTIALS_BLOCK; without one it is written to PACTWATCH_OUTBOX_DIR as an
.eml file, as the digest does. Recipients: PACTWATCH_OPERATORS (comma-separated addresses).
"""

from __future__ import annotations

import os
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from uuid import UUID

from prefect import flow, get_client
from prefect.settings import PREFECT_UI_URL

from pactwatch.settings import Settings, load_settings


def message(settings: Settings, operators: list[str], run: object, flow_name: str) -> EmailMessage:
    """The alert: run name, flow, final state and its message, and a link to the run."""
    state = getattr(run, "state", None)
    state_name = state.name if state else "unknown"
    url = f"{PREFECT_UI_URL.value() or ''}/runs/flow-run/{getattr(run, 'id', '')}"
    mail = EmailMessage()
    mail["Subject"] = f"pactwatch: {flow_name} run {getattr(run, 'name', '?')} {state_name}"
    mail["From"] = settings.mail_from
    mail["To"] = ", ".join(operators)
    mail["Message-ID"] = make_msgid("pactwatch-alert")
    mail.set_content(
        f"The {flow_name} run {getattr(run, 'name', '?')} ended {state_name}.\n\n"
        f"{(state.message if state else '') or '(no message)'}\n\n{url}\n"
    )
    return mail


def send(settings: Settings, mail: EmailMessage) -> str:
    """Send through the credentials block, or write to the outbox; return where it went."""
    if settings.smtp_credentials_block:
        from prefect_email import EmailServerCredentials

        credentials = EmailServerCredentials.load(settings.smtp_credentials_block)
        with credentials.get_server() as server:
            server.send_message(mail)
        return f"smtp:{credentials.smtp_server}"
    outbox = Path(settings.outbox_dir)
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"alert-{mail['Message-ID'].strip('<>').split('@')[0]}.eml"
    path.write_bytes(bytes(mail))
    return str(path)


@flow(name="notify-operators")
def notify_operators(flow_run_id: str) -> str:
    """Email the operators that the flow run `flow_run_id` failed or crashed.

    Args:
        flow_run_id: Id of the run that ended badly (the automation fills it in).
    """
    settings = load_settings()
    operators = [a.strip() for a in os.environ.get("PACTWATCH_OPERATORS", "").split(",")]
    operators = [a for a in operators if a] or ["operators@localhost"]
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(flow_run_id))
        flow_name = client.read_flow(run.flow_id).name
    return send(settings, message(settings, operators, run, flow_name))
