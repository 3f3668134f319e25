"""Printing the fair bench: the side-by-side per N, the fixed costs, memory, and the targets.

Targets of issue #18 are reported PASS/FAIL and never change the exit status; only the
fairness check on baseline A does (bench_ingest.py).
"""

from __future__ import annotations

from typing import Any

from _measure import Peaks

MB = 1e6
LABELS = {
    "A": "A: trafilatura CLI",
    "cli": "pactwatch ingest (CLI)",
    "cli_pg": "pactwatch ingest (CLI) → PG",
    "deploy": "pactwatch deployment",
}
SERVERS = ("prefect server",)
NOT_OURS = ("prefect server", "prefect worker", "pactwatch worker")


def _f(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if not a or not b else f"{a / b:.2f}"


def rates(r: dict[str, Any]) -> tuple[float | None, float | None]:
    """(whole-process documents/s, steady-state documents/s) of one variant."""
    return (r["articles"] / r["wall"] if r.get("wall") else None), r.get("steady")


def print_n(n: int, distinct: int, load: str, results: dict[str, dict[str, Any]]) -> None:
    a = results["A"]
    print(f"\nN = {n} URLs ({min(n, distinct)} distinct pages, repeated past {distinct}; "
          f"4 hosts; load average during the runs {load})")
    print(f"  fairness: A returned {a['articles']} documents for {n} URLs; trafilatura extracts "
          f"a document from {a['expected']} of them in memory (same HTML, options, config): "
          + ("OK" if a["articles"] >= a["expected"] else "FAIL"))
    print(f"  {'variant':30} {'docs':>5} {'whole s':>8} {'docs/s':>7} {'÷A':>5} "
          f"{'steady/s':>8} {'÷A':>5} {'1st stored s':>12} {'tree PSS MB':>11} {'load':>9}")
    whole_a, steady_a = rates(a)
    for key in ("A", "cli", "cli_pg", "deploy"):
        if key not in results:
            continue
        r = results[key]
        whole, steady = rates(r)
        peaks: Peaks = r["peaks"]
        tree = f"{peaks.total / MB:.0f}"
        if peaks.total_without != peaks.total:
            tree += f" ({peaks.total_without / MB:.0f})"
        load = "{:.1f}→{:.1f}".format(*r["load"]) if "load" in r else "-"
        print(f"  {LABELS[key]:30} {r['articles']:>5} {_f(r['wall']):>8} {_f(whole):>7} "
              f"{_ratio(whole, whole_a):>5} {_f(steady):>8} {_ratio(steady, steady_a):>5} "
              f"{_f(r.get('first')):>12} {tree:>11} {load:>9}")
    print("  (whole: process start → exit; steady: items done after the first ÷ first → last "
          "completion;\n   tree PSS in brackets: without the CLI's temporary Prefect server; "
          "load: 1-minute load average\n   at the start and end of each, on a shared machine)")
    if "deploy" in results:
        d = results["deploy"]
        print(f"  deployment run: flow run start → end {d['flow_wall']:.1f} s; flow-run process "
              f"start → Completed {_f(d['process_to_completed'])} s; first batch done "
              f"{_f(d.get('first_batch_done'), '.2f')} s after the flow's start; flow end "
              f"{_f(d.get('after_last_batch'), '.2f')} s after the last batch; process exit "
              f"{_f(d.get('after_flow'), '.2f')} s after the flow's end; "
              f"{d.get('task_runs', '-')} task runs, {d.get('batches', '-')} of them batches")
    for key in ("deploy", "noop"):
        if key in results:
            d = results[key]
            print(f"  {'no-op' if key == 'noop' else 'deployment'} run timeline: worker took "
                  f"it (Pending) → process started {_f(d['pending_to_process'], '.2f')} s → "
                  f"flow run Running {_f(d['process_to_running'], '.2f')} s → Completed "
                  f"{d['flow_wall']:.2f} s")
    print_fixed(results)
    print_processes(results)


def print_fixed(results: dict[str, dict[str, Any]]) -> None:
    d, noop, cli = results.get("deploy"), results.get("noop"), results.get("cli")
    if d or cli:
        print("  first batch: flow run start → first `process` task run start: "
              f"deployment {_f(d and d['first_batch'], '.2f')} s, CLI "
              f"{_f(cli and cli['first_batch'], '.2f')} s (target ≤ 3 s)")
    if cli and cli.get("prefect_database") is not None:
        print(f"  Prefect's database in PREFECT_HOME (CLI) and pactwatch's schema (both) were "
              f"created before the timed runs (as any run after a user's first finds them); a "
              f"first run ever adds creating them: {cli['prefect_database']:.1f} s")
    if noop:
        print(f"  no-op run (nothing new): worker took it (Pending) → Completed "
              f"{_f(noop['pending_to_completed'], '.2f')} s; flow run start → end "
              f"{noop['flow_wall']:.2f} s; process start → exit {_f(noop['wall'], '.2f')} s "
              f"(target ≤ 5 s); tree PSS {noop['peaks'].total / MB:.0f} MB")


def print_processes(results: dict[str, dict[str, Any]]) -> None:
    print("  peak PSS per process, MB:")
    for key, r in results.items():
        if "peaks" in r and key in LABELS:
            cells = ", ".join(f"{name} {peak / MB:.0f}"
                              for name, peak in sorted(r["peaks"].by_role().items()) if peak)
            print(f"    {LABELS[key]:30} {cells}")
    print("  CPU seconds per process during the run (all processes of a role summed):")
    for key, r in results.items():
        if "peaks" in r and key in LABELS:
            cpu = r["peaks"].cpu_by_role()
            if "server_cpu" in r:
                cpu["prefect server"] = r["server_cpu"]
            cells = ", ".join(f"{name} {seconds:.1f}" for name, seconds in sorted(cpu.items())
                              if seconds >= 0.05)
            print(f"    {LABELS[key]:30} {cells} (total {sum(cpu.values()):.1f})")


def _verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("PASS" if ok else "FAIL")


def print_targets(everything: dict[int, dict[str, dict[str, Any]]]) -> None:
    """One line per target of issue #18; the N each is judged at is named on the line."""
    print("\ntargets (issue #18; reported, not asserted):")
    at = 1000 if 1000 in everything else max(everything)
    r = everything[at]
    whole_a, steady_a = rates(r["A"])
    for key, floor in (("deploy", 1.5), ("cli", 1.2)):
        if key in r:
            whole, steady = rates(r[key])
            ok = bool(whole and whole_a and whole / whole_a >= floor)
            print(f"  {LABELS[key]} ÷ A ≥ {floor} at N = {at} (whole process): "
                  f"{_ratio(whole, whole_a)}, steady state {_ratio(steady, steady_a)} "
                  f"{_verdict(ok)}" + ("" if at == 1000 else " (target is at N = 1,000)"))
    noops = [x["noop"]["pending_to_completed"] for x in everything.values() if "noop" in x]
    if noops and None not in noops:
        print(f"  no-op run ≤ 5 s (Pending → Completed): {max(noops):.2f} s "
              f"{_verdict(max(noops) <= 5)}")
    firsts = [x["deploy"]["first_batch"] for x in everything.values() if "deploy" in x]
    if firsts and None not in firsts:
        print(f"  first batch ≤ 3 s after the flow starts (deployment): {max(firsts):.2f} s "
              f"{_verdict(max(firsts) <= 3)}")
    print_memory_targets(everything)


def print_memory_targets(everything: dict[int, dict[str, dict[str, Any]]]) -> None:
    big = 2000 if 2000 in everything else max(everything)
    r = everything[big]
    for key in ("deploy", "cli"):
        if key in r:
            p = r[key]["peaks"]
            print(f"  tree PSS ≤ 350 MB at N = {big}, {LABELS[key]}: {p.total_without / MB:.0f}"
                  f" MB {_verdict(p.total_without <= 350 * MB)}"
                  + (f" (with the temporary server {p.total / MB:.0f} MB)"
                     if p.total != p.total_without else ""))
    if len(everything) > 1:
        for key in ("deploy", "cli"):
            cells = [f"N={n}: {x[key]['peaks'].total_without / MB:.0f}"
                     for n, x in everything.items() if key in x]
            print(f"  flat in N, {LABELS[key]}: " + ", ".join(cells) + " MB")
    a_peak = max(p["A"]["peaks"].largest()[1] for p in everything.values())
    for key in ("deploy", "cli"):
        name, peak = max((x[key]["peaks"].largest(NOT_OURS) for x in everything.values()
                          if key in x), key=lambda v: v[1], default=("-", 0))
        print(f"  no pactwatch process above A's peak ({a_peak / MB:.0f} MB), {LABELS[key]}: "
              f"largest {name} {peak / MB:.0f} MB {_verdict(peak <= a_peak)}")
    servers = [x[k]["peaks"].largest(()) for x in everything.values() for k in ("cli",)
               if k in x]
    if servers:
        name, peak = max(servers, key=lambda v: v[1])
        print(f"    (counting Prefect's own processes too, the largest is {name} "
              f"{peak / MB:.0f} MB)")
