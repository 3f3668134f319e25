"""Production path against a real `prefect server`: work pool, `prefect deploy --all` from
prefect.yaml, a backfill started through the API the UI's run form uses, a process worker
running it, and the failure automation emailing the operators through the SMTP server the
workers are configured with (aiosmtpd on loopback), also when a digest could not be delivered.

Also the screenshot of the backfill run form (headless Chromium), written to
docs/backfill-form.png by `make screenshot-ui` (PACTWATCH_SCREENSHOT names the file).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from pactwatch.sample_site import SampleSite
from storage.db import engine_for
from storage.models import ArticleRow
from tests.test_mail import Inbox

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NEVER = "0 0 1 1 *"  # the test's ingest schedule: keep scheduled ingests out of the worker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


OPERATORS = "ops@example.org"


class Deployed:
    """A running Prefect server with pactwatch deployed, the environment to talk to it, and
    the SMTP server its workers mail through."""

    def __init__(
        self, env: dict[str, str], api: str, site: SampleSite, tmp: Path, inbox: Inbox
    ) -> None:
        self.env, self.api, self.site, self.tmp, self.inbox = env, api, site, tmp, inbox
        self.deploy_output = ""

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(BIN / "prefect"), *args], cwd=REPO, env=self.env, capture_output=True,
            text=True, timeout=timeout,
        )
        assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    def make(self, *command: str, env: dict[str, str]) -> str:
        """Run `make ...` to the end; its output (stdout and stderr)."""
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=300)
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{' '.join(command)}:\n{output}"
        return output


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    tmp = tmp_path_factory.mktemp("prefect")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    with SampleSite() as site, contextlib.ExitStack() as stack:
        stack.callback(smtp.stop)
        sources = tmp / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        env = {
            **os.environ,
            "PREFECT_HOME": str(tmp / "prefect-home"),
            "PREFECT_API_URL": api,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_LOGGING_LEVEL": "INFO",
            "PREFECT_CLI_PROMPT": "false",
            "PACTWATCH_HOME": str(REPO),
            "PACTWATCH_TIMEZONE": "Asia/Tokyo",
            "PACTWATCH_INGEST_CRON": NEVER,
            "PACTWATCH_SOURCES_FILE": str(sources),
            "PACTWATCH_DATABASE_URL": f"sqlite:///{tmp / 'pactwatch.db'}",
            "PACTWATCH_OUT_DIR": str(tmp / "out"),
            "PACTWATCH_OUTBOX_DIR": str(tmp / "out" / "outbox"),
            "PACTWATCH_ALLOW_PRIVATE_ADDRESSES": "true",
            "PACTWATCH_SMTP_HOST": "127.0.0.1",
            "PACTWATCH_SMTP_PORT": str(smtp.port),
            "PACTWATCH_SMTP_SECURITY": "none",
            "PACTWATCH_OPERATORS": OPERATORS,
        }
        log = (tmp / "server.log").open("w")
        # As the runbook has it: `make server`, `make deploy`, `make worker`, the server on a
        # port of its own; an operator's shell names neither the API nor the sources file there
        # (the sources file is the worker's business).
        shell = {k: v for k, v in env.items()
                 if k not in ("PREFECT_API_URL", "PACTWATCH_SOURCES_FILE")}
        make = ["make", "--no-print-directory", f"PREFECT_PORT={port}", "PREFECT_HOST=127.0.0.1"]
        server = subprocess.Popen([*make, "server"], cwd=REPO, env=shell, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_healthy(api, server, tmp / "server.log")
            deployed = Deployed(env, api, site, tmp, inbox)
            deployed.deploy_output = deployed.make(*make, "deploy", env=shell)
            worker = subprocess.Popen(  # one worker for the module, polling every second
                [*make, "worker"], cwd=REPO, env={**env, "PREFECT_WORKER_QUERY_SECONDS": "1"},
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
            try:
                yield deployed
            finally:
                _stop(worker)
        finally:
            _stop(server)
            log.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop `make` and what it started (its own process group)."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=20)


def _wait_healthy(api: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"prefect server not healthy after 120 s:\n{log.read_text()}")


def _api(deployed: Deployed, method: str, path: str, **kwargs) -> httpx.Response:
    """One REST call, retried on 503 as Prefect's own client does: the test server answers 503
    when its SQLite database is busy (a loaded CI machine), and nothing was done then."""
    for attempt in range(6):
        response = httpx.request(method, deployed.api + path, timeout=30, **kwargs)
        if response.status_code != 503:
            break
        time.sleep(0.5 * 2**attempt)
    response.raise_for_status()
    return response


def _deployment(deployed: Deployed, name: str) -> dict:
    return _api(deployed, "GET", f"/deployments/name/{name}").json()


def test_deployments_and_schedules(deployed: Deployed) -> None:
    ingest = _deployment(deployed, "ingest/ingest")
    digest = _deployment(deployed, "weekly-digest/weekly-digest")
    backfill = _deployment(deployed, "backfill/backfill")
    _deployment(deployed, "notify-operators/notify-operators")
    assert {d["work_pool_name"] for d in (ingest, digest, backfill)} == {"pactwatch"}
    assert [s["schedule"]["cron"] for s in ingest["schedules"]] == [NEVER]
    (weekly,) = digest["schedules"]
    assert weekly["schedule"]["cron"] == "0 7 * * 1"
    assert weekly["schedule"]["timezone"] == "Asia/Tokyo"
    assert backfill["schedules"] == []
    assert backfill["pull_steps"][0]["prefect.deployments.steps.set_working_directory"] == {
        "directory": str(REPO)
    }
    form = backfill["parameter_openapi_schema"]["properties"]
    assert form["start"]["format"] == form["end"]["format"] == "date"
    # Free names: the deploying shell does not know the workers' sources file (see below).
    assert form["sources"]["items"] == {"type": "string"}
    assert "worker" in form["sources"]["description"]
    for option in ("retag_only", "render_digests", "send_digests"):
        assert form[option]["type"] == "boolean" and form[option]["description"]
    assert form["send_digests"]["default"] is False


def _sources(deployed: Deployed) -> list[dict]:
    import yaml

    text = Path(deployed.env["PACTWATCH_SOURCES_FILE"]).read_text(encoding="utf-8")
    return yaml.safe_load(text)["sources"]


def test_backfill_from_the_run_form(deployed: Deployed) -> None:
    site = deployed.site
    first, last = site.today - timedelta(days=9), site.today - timedelta(days=3)
    backfill = _deployment(deployed, "backfill/backfill")
    # The UI's run form posts exactly this: parameters as JSON, dates as ISO strings.
    run = _api(
        deployed, "POST", f"/deployments/{backfill['id']}/create_flow_run",
        json={"parameters": {"start": str(first), "end": str(last),
                             "sources": ["harbour-times", "pacific-ledger"]}},
    ).json()
    state = _wait_final(deployed, run["id"])
    assert state["type"] == "COMPLETED", state

    expected = {
        a.url for a in site.articles
        if a.outlet in ("harbour-times", "pacific-ledger")
        and first <= a.published.astimezone(UTC).date() <= last
    }
    with Session(engine_for(deployed.env["PACTWATCH_DATABASE_URL"])) as session:
        stored = set(session.exec(select(ArticleRow.url)).all())
    assert expected and stored == expected

    artifacts = _api(deployed, "POST", "/artifacts/filter",
                     json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}}}).json()
    by_key = {a["key"]: a for a in artifacts}
    assert {"backfill-coverage", "backfill-progress", "backfill-summary"} <= set(by_key)
    assert by_key["backfill-progress"]["data"] == 100.0
    rows = by_key["backfill-coverage"]["data"]
    rows = json.loads(rows) if isinstance(rows, str) else rows
    assert len(rows) == 2 * 7
    assert sum(r["stored"] for r in rows) == len(expected)
    assert any(r["note"] == "nothing found" for r in rows)


def test_an_unknown_source_fails_the_run_naming_the_workers_sources(deployed: Deployed) -> None:
    backfill = _deployment(deployed, "backfill/backfill")
    run = _api(deployed, "POST", f"/deployments/{backfill['id']}/create_flow_run",
               json={"parameters": {"start": "2024-01-01", "end": "2024-01-01",
                                    "sources": ["harbour-times", "nhk-world"]}}).json()
    state = _wait_final(deployed, run["id"])
    assert state["type"] == "FAILED"
    assert "unknown sources ['nhk-world']" in state["message"]
    names = sorted(o["name"] for o in _sources(deployed))
    assert str(names) in state["message"] and deployed.env["PACTWATCH_SOURCES_FILE"] in \
        state["message"]


def _run_deployment(deployed: Deployed, name: str, parameters: dict) -> tuple[dict, dict]:
    """Start a run as the UI does, wait for its end; the run and its artifacts by key."""
    deployment = _deployment(deployed, name)
    run = _api(deployed, "POST", f"/deployments/{deployment['id']}/create_flow_run",
               json={"parameters": parameters}).json()
    state = _wait_final(deployed, run["id"])
    assert state["type"] == "COMPLETED", state
    artifacts = _api(deployed, "POST", "/artifacts/filter",
                     json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}}}).json()
    return run, {a["key"]: a for a in artifacts}


def test_a_repeat_backfill_reports_what_it_did(deployed: Deployed) -> None:
    site = deployed.site
    period = {"start": str(site.today - timedelta(days=13)), "end": str(site.today - timedelta(
        days=10)), "sources": ["harbour-times", "pacific-ledger"]}
    _run_deployment(deployed, "backfill/backfill", period)  # does the work (if not done yet)
    _, again = _run_deployment(deployed, "backfill/backfill", period)
    assert again["backfill-progress"]["data"] == 100.0  # chunks done before count as done
    summary = again["backfill-summary"]["data"]
    assert "This run: discovered 0, new 0, stored 0, failed 0" in summary, summary
    assert "source-days skipped (done before): 8" in summary
    rows = again["backfill-coverage"]["data"]
    rows = json.loads(rows) if isinstance(rows, str) else rows
    assert all(r["note"].startswith("done by an earlier run") for r in rows)
    picture = again["backfill-coverage-map"]["data"]
    grid = picture.split("```")[1].strip("\n").splitlines()[3:]
    assert [line.split()[0] for line in grid] == ["harbour-times", "pacific-ledger"]
    assert all(len(line.split()[1]) == 4 and set(line.split()[1]) <= {"▇", "░"}
               for line in grid)


def test_a_quiet_ingest_says_nothing_new(deployed: Deployed) -> None:
    _run_deployment(deployed, "ingest/ingest", {})
    _, quiet = _run_deployment(deployed, "ingest/ingest", {})  # the site answers 304 now
    latest = quiet["ingest-sources"]
    assert latest["type"] == "markdown" and latest["data"].startswith("Nothing new")
    newest = _api(deployed, "POST", "/artifacts/latest/filter",
                  json={"artifacts": {"key": {"any_": ["ingest-sources"]}}}).json()
    assert [a["data"] for a in newest] == [latest["data"]]


def test_the_digest_artifact_shows_apostrophes(deployed: Deployed) -> None:
    site = deployed.site
    quotes = [a for a in site.articles if "'" in a.title and "Quad" in a.title]
    assert quotes, "the sample site has a title with an apostrophe that names the Quad"
    _run_deployment(deployed, "ingest/ingest", {})
    week = quotes[0].published.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%G-W%V")
    _, published = _run_deployment(deployed, "weekly-digest/weekly-digest",
                                   {"week": week, "send": False})
    markdown = published[f"weekly-digest-{week.lower()}"]["data"]
    assert quotes[0].title.split(":")[-1].strip() in markdown
    assert "&#39;" not in markdown and "&amp;" not in markdown


def test_redeploy_is_quiet_and_keeps_the_schedules(deployed: Deployed) -> None:
    port = deployed.api.split(":")[-1].split("/")[0]
    shell = {k: v for k, v in deployed.env.items()
             if k not in ("PREFECT_API_URL", "PACTWATCH_SOURCES_FILE")}
    for output in (deployed.deploy_output,
                   deployed.make("make", f"PREFECT_PORT={port}", "deploy", env=shell)):
        assert "FutureWarning" not in output and "deprecated" not in output, output
    ingest = _deployment(deployed, "ingest/ingest")
    assert [s["schedule"]["cron"] for s in ingest["schedules"]] == [NEVER]
    assert _deployment(deployed, "backfill/backfill")["schedules"] == []


def _wait_final(deployed: Deployed, run_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _api(deployed, "GET", f"/flow_runs/{run_id}").json()["state"]
        if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return state
        time.sleep(1)
    raise AssertionError(f"flow run {run_id} did not finish: {state}")


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium (apt-get install -y chromium)")
def test_screenshot_of_backfill_form(deployed: Deployed, tmp_path: Path) -> None:
    backfill = _deployment(deployed, "backfill/backfill")
    out = Path(os.environ.get("PACTWATCH_SCREENSHOT") or tmp_path / "backfill-form.png")
    ui = deployed.api.removesuffix("/api")
    url = f"{ui}/deployments/deployment/{backfill['id']}/run"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--window-size=1280,1500", "--virtual-time-budget=30000",
         "--blink-settings=preferredColorScheme=1", "--force-prefers-reduced-motion",
         f"--user-data-dir={tmp_path / 'chromium'}", f"--screenshot={out}", url],
        check=True, capture_output=True, timeout=120,
    )
    assert out.stat().st_size > 20_000
    page = _dom(url, tmp_path)
    assert "Can't connect" not in page
    assert "sources" in page and "retag_only" in page.replace("Retag only", "retag_only")


def _dom(url: str, tmp_path: Path) -> str:
    """The page's DOM once its scripts ran (headless Chromium)."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=30000",
         f"--user-data-dir={tmp_path / 'chromium-dom'}", "--dump-dom", url],
        check=True, capture_output=True, text=True, timeout=120,
    )
    return done.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium (apt-get install -y chromium)")
def test_the_ui_shows_this_servers_data(deployed: Deployed, tmp_path: Path) -> None:
    """`make server PREFECT_PORT=N`: the UI calls the API on N (it used to call 4200)."""
    backfill = _deployment(deployed, "backfill/backfill")
    ui = deployed.api.removesuffix("/api")
    settings = httpx.get(f"{ui}/ui-settings", timeout=10).json()
    assert settings["api_url"] == deployed.api
    page = _dom(f"{ui}/deployments/deployment/{backfill['id']}", tmp_path)
    assert "Can't connect" not in page
    # Only this server has a deployment with this id: the details shown come from it.
    shown = re.findall(r'p-key-value__value[^"]*">([^<]+)</div>', page)
    assert backfill["id"] in shown and "flows/backfill.py:backfill_flow" in shown, page[-3000:]


def test_automation_installs_once(deployed: Deployed) -> None:
    for _ in range(2):  # installing twice replaces, never duplicates
        done = subprocess.run([sys.executable, "automations/install.py"], cwd=REPO,
                              env=deployed.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    found = _api(deployed, "POST", "/automations/filter",
                 json={"automations": {"name": {"any_": ["pactwatch-run-failed"]}}}).json()
    assert len(found) == 1
    (action,) = found[0]["actions"]
    notify = _deployment(deployed, "notify-operators/notify-operators")
    assert action["type"] == "run-deployment" and action["deployment_id"] == notify["id"]
    assert set(found[0]["trigger"]["expect"]) == {"prefect.flow-run.Failed",
                                                  "prefect.flow-run.Crashed"}


def test_failed_run_emails_the_operators(deployed: Deployed) -> None:
    subprocess.run([sys.executable, "automations/install.py"], cwd=REPO, env=deployed.env,
                   check=True, capture_output=True, timeout=120)
    backfill = _deployment(deployed, "backfill/backfill")
    failing = _api(
        deployed, "POST", f"/deployments/{backfill['id']}/create_flow_run",
        json={"parameters": {"start": "2024-01-01", "end": "2024-01-01",
                             "sources_file": str(deployed.tmp / "missing.yaml")}},
    ).json()
    assert _wait_final(deployed, failing["id"])["type"] == "FAILED"
    notify = _deployment(deployed, "notify-operators/notify-operators")
    deadline, runs = time.monotonic() + 60, []
    while not runs and time.monotonic() < deadline:  # the automation reacts to the event
        time.sleep(1)
        runs = _api(deployed, "POST", "/flow_runs/filter",
                    json={"deployments": {"id": {"any_": [notify["id"]]}}}).json()
    assert runs, "the automation started no notify-operators run"
    assert runs[0]["parameters"] == {"flow_run_id": failing["id"]}
    assert _wait_final(deployed, runs[0]["id"])["type"] == "COMPLETED"
    (alert,) = [m for m in deployed.inbox.to(OPERATORS) if failing["id"] in m.get_content()]
    assert "backfill run" in alert.get_content() and "Failed" in alert.get_content()
    assert alert["Date"] and alert["Message-ID"]


def test_an_undelivered_digest_is_not_green_alerts_through_smtp_and_is_sent_next_week(
    deployed: Deployed,
) -> None:
    """The weekly digest with the recipients' mailbox refusing mail (451 at RCPT): the run
    ends Failed, the automation mails the operators through the same SMTP server, and the
    next week's run, the mailbox back, delivers the missed week once, then its own."""
    subprocess.run([sys.executable, "automations/install.py"], cwd=REPO, env=deployed.env,
                   check=True, capture_output=True, timeout=120)
    analyst = "analyst@example.org"  # config/recipients.yaml
    deployed.inbox.reject = {analyst}
    digest = _deployment(deployed, "weekly-digest/weekly-digest")
    missed = _api(deployed, "POST", f"/deployments/{digest['id']}/create_flow_run",
                  json={"parameters": {"week": "2024-W10"}}).json()
    state = _wait_final(deployed, missed["id"])
    assert state["type"] == "FAILED", state  # not green: something is still undelivered
    notify = _deployment(deployed, "notify-operators/notify-operators")
    deadline, alerts = time.monotonic() + 90, []
    while not alerts and time.monotonic() < deadline:  # the automation reacts to the event
        time.sleep(1)
        alerts = [m for m in deployed.inbox.to(OPERATORS) if missed["id"] in m.get_content()]
    assert alerts, "no alert reached the SMTP server"
    assert "weekly-digest" in alerts[0].get_content() or "digest" in alerts[0]["Subject"]
    runs = _api(deployed, "POST", "/flow_runs/filter",
                json={"deployments": {"id": {"any_": [notify["id"]]}}}).json()
    assert any(r["parameters"] == {"flow_run_id": missed["id"]} for r in runs)
    assert deployed.inbox.to(analyst) == []

    deployed.inbox.reject = set()
    _run_deployment(deployed, "weekly-digest/weekly-digest", {"week": "2024-W11"})  # Completed
    subjects = sorted(m["Subject"] for m in deployed.inbox.to(analyst))
    assert len(subjects) == 2
    assert [s for s in subjects if "2024-W10" in s] and [s for s in subjects if "2024-W11" in s]
