"""Every case of the reliability and security issue, and the tests that cover it.

`COVERAGE` is the issue's checklist, item by item, each with the tests that fail if that
behaviour regresses. `test_every_case_names_tests_that_exist` collects them with pytest, so
a renamed or deleted test (or a fault route without a row here) fails the suite.
Tests marked xfail(strict=True) document a known bug; they start failing once it is fixed,
so the mark is removed with the fix. docs/guarantees.md is written from this table.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.faults.hostile_site import FAULTS as ROUTES

REPO = Path(__file__).resolve().parents[2]
INGEST = "tests/faults/test_ingest_faults.py"
CRASH = "tests/faults/test_crashes.py"
SEC = "tests/faults/test_security.py"
RECORDED = f"{INGEST}::test_fault_is_recorded_with_its_kind_and_a_clear_reason"
RETRIES = f"{INGEST}::test_fault_costs_no_more_requests_than_its_retries"
DECODED = f"{INGEST}::test_good_article_is_stored_whole_with_its_text_decoded"
POISON_TEST = "tests/test_poison_isolation.py"
FANOUT = "tests/test_poison_fanout.py"


def fault(name: str, retries: bool = True) -> list[str]:
    """The per-fault tests of the hostile-site run for the route called `name`."""
    return [f"{RECORDED}[{name}]"] + ([f"{RETRIES}[{name}]"] if retries else [])


def encoded(prefix: str) -> list[str]:
    return [f"{DECODED}[{prefix}-charset-in-{where}]" for where in ("header", "meta", "none")]


COVERAGE: dict[str, list[str]] = {
    # --- faults to survive ---
    "HTTP 500": fault("HTTP 500"),
    "HTTP 502": fault("HTTP 502"),
    "HTTP 503 with Retry-After": [
        *fault("HTTP 503 with Retry-After"),
        f"{INGEST}::test_retry_after_is_honoured[/a/status-503]",
    ],
    "HTTP 429 with Retry-After": [
        *fault("HTTP 429 with Retry-After"),
        f"{INGEST}::test_retry_after_is_honoured[/a/status-429]",
    ],
    "HTTP 403": fault("HTTP 403"),
    "HTTP 404": fault("HTTP 404"),
    "HTTP 410": fault("HTTP 410"),
    "connection refused": [*fault("connection refused", retries=False),
                           "tests/test_http.py::test_connection_refused"],
    "connection reset mid-body": fault("connection reset mid-body"),
    "a server that accepts and never answers": fault("accepts and never answers"),
    "a byte a second: read timeout": fault("trickle: read timeout"),
    "a byte a second: total-time cap": fault("trickle: total-time cap"),
    "a body 100x the size cap": [*fault("body 100x the size cap"),
                                 *fault("body 100x the size cap, no length")],
    "a gzip bomb": fault("gzip bomb"),
    "a redirect loop": [*fault("redirect loop"),
                        f"{INGEST}::test_redirect_loop_stops_at_the_first_repeat"],
    "a redirect to a non-HTTP scheme": fault("redirect to a non-HTTP scheme"),
    "a PDF served as an article": fault("PDF served as an article"),
    "an image served as an article": fault("image served as an article"),
    "HTML in Shift_JIS with and without a declared charset": encoded("jp-raa"),
    "HTML in EUC-KR with and without a declared charset": encoded("kr-shuttle"),
    "HTML in Windows-1252 with and without a declared charset": encoded("fr-acces"),
    "a truncated HTML page": [f"{DECODED}[truncated-page-on-the-quad-summit]"],
    "an empty 200": fault("empty 200"),
    "a feed that is not XML": fault("feed that is not XML"),
    "an XML feed with an entity-expansion bomb": [
        *fault("XML feed with an entity-expansion bomb"),
        f"{INGEST}::test_entities_never_reach_the_database",
    ],
    "a sitemap index that points to itself": [
        f"{INGEST}::test_self_referencing_sitemap_index_is_read_once"
    ],
    "a feed with 50,000 items": [
        f"{INGEST}::test_feed_with_50000_items_is_read_and_old_items_skipped",
        "tests/faults/test_discovery_stall.py::"
        "test_a_50000_item_feed_does_not_stall_other_listings",
    ],
    "a robots.txt that times out": [f"{INGEST}::test_robots_txt_that_times_out_disallows_the_host"],
    # --- for each fault ---
    "the run completes": [f"{INGEST}::test_the_run_completes_within_its_time_limits"],
    "the good articles from the same run are stored": [
        f"{INGEST}::test_every_good_article_is_stored_once_and_nothing_else"
    ],
    "the failure is recorded with a clear reason": [
        f"{INGEST}::test_only_failures_of_the_faults_are_recorded"
    ],
    "retries stay within their limits": [
        f"{RETRIES}[HTTP 500]", "tests/test_http.py::test_failures_have_kinds_and_bounded_retries"
    ],
    "nothing is stored twice": [
        f"{INGEST}::test_second_run_stores_nothing_twice",
        f"{INGEST}::test_second_run_keeps_one_row_per_failure",
    ],
    # --- crashes and restarts ---
    "SIGKILL mid-batch, run again: stored exactly once, none half-written": [
        f"{CRASH}::test_sigkill_mid_batch_then_rerun_stores_every_article_exactly_once"
    ],
    "PostgreSQL goes away mid-run": [
        f"{CRASH}::test_postgresql_connections_killed_mid_run_the_run_completes",
        f"{CRASH}::test_postgresql_unreachable_for_a_moment_the_run_retries_and_completes",
    ],
    "SQLite locked by another writer": [
        f"{CRASH}::test_sqlite_locked_by_another_writer_the_run_waits_and_completes"
    ],
    "SMTP down during the digest": [
        f"{CRASH}::test_smtp_down_the_digest_is_kept_and_the_next_run_delivers_it_once",
        "tests/test_mail.py::test_an_unreachable_server_fails_everyone_until_it_is_back",
    ],
    "two ingest runs at once on the same sources": [
        f"{CRASH}::test_two_concurrent_ingest_processes_store_each_article_once",
        "tests/test_concurrency.py::test_overlapping_batches_store_each_article_once",
    ],
    # --- security ---
    "the digest escapes titles, snippets and URLs; only http(s) links": [
        f"{INGEST}::test_digest_renders_hostile_markup_inert",
        "tests/test_digest.py::test_html_has_every_section_in_order_and_nothing_active",
        "tests/test_digest.py::test_unsafe_links_are_dropped_and_mentions_split_for_highlighting",
        "tests/test_digest.py::test_markdown_escapes_links_and_markup",
    ],
    "SSRF: private, loopback and link-local refused by default": [
        f"{SEC}::test_private_loopback_and_link_local_addresses_are_refused_by_default"
        "[http://169.254.169.254/latest/meta-data/]",
        f"{SEC}::test_private_addresses_are_refused_by_default_settings",
        f"{SEC}::test_a_run_with_default_settings_fetches_nothing_on_loopback",
    ],
    "SSRF: after DNS resolution": [
        f"{SEC}::test_private_loopback_and_link_local_addresses_are_refused_by_default"
        "[http://localhost/]",
        f"{SEC}::test_a_name_that_rebinds_to_a_private_address_gets_no_request",
    ],
    "SSRF: after redirects": [f"{SEC}::test_every_redirect_hop_is_checked_after_dns_resolution"],
    "SSRF: a setting allows private addresses explicitly": [
        f"{SEC}::test_private_loopback_and_link_local_addresses_are_refused_by_default"
        "[http://10.0.0.1/]",
    ],
    "XML of feeds and sitemaps is safe against entity expansion and external entities": [
        *fault("feed with an external entity"), *fault("sitemap with an external entity"),
        f"{SEC}::test_xml_entities_are_refused_or_never_expanded"
        "[feed-external-entity-doctype-after-64kb-utf-16]",
        f"{SEC}::test_xml_entities_are_refused_or_never_expanded"
        "[sitemap-entity-bomb-doctype-after-64kb-utf-8]",
    ],
    "email headers cannot be injected through article or config text": [
        f"{SEC}::test_config_text_cannot_inject_mail_headers_through_a_real_smtp_server",
        "tests/test_digest.py::test_header_text_cannot_inject_headers",
    ],
    "secrets never appear in logs, artifacts, the database or exceptions": [
        f"{SEC}::test_secrets_never_appear_in_anything_a_run_writes",
        f"{SEC}::test_status_does_not_print_the_database_password",
        "tests/test_mail.py::test_login_over_starttls_and_ssl_without_storing_the_password",
    ],
    # --- issue 19: no input can stop the pipeline ---
    "a host name the IDNA codec rejects, and other unparsable URLs": [
        "tests/faults/test_poison_fetch.py::"
        "test_a_bad_url_is_a_failure_and_the_good_ones_are_fetched",
    ],
    "a 10,000-character URL on PostgreSQL": [
        "tests/test_storage_bounds.py::"
        "test_a_very_long_url_is_stored_with_its_batch_and_a_rerun_does_not_fail",
    ],
    "a gzipped sitemap that inflates to 2 GiB": [
        "tests/test_fetch_bombs.py::test_a_sitemap_that_inflates_to_2_gib_is_refused_while_inflating",
    ],
    "robots.txt per RFC 9309, remembered per host": [
        "tests/test_fetch_robots.py::"
        "test_an_oversized_robots_txt_is_parsed_up_to_500_kib_not_treated_as_allow_all",
        "tests/test_fetch_robots.py::"
        "test_unreachable_robots_disallows_everything_and_4xx_allows_everything",
        "tests/test_fetch_robots.py::test_wildcards_and_the_longest_match_decide",
        "tests/test_fetch_robots.py::"
        "test_crawl_delay_is_remembered_and_held_back_urls_are_deferred_not_timed_out",
        "tests/test_storage.py::test_a_deferral_is_no_attempt_and_is_offered_again",
    ],
    "a batch that raises (the database refuses one row): its items run alone, the poison one "
    "quarantined with backoff": [
        f"{POISON_TEST}::test_a_batch_that_raises_quarantines_its_poison_item_and_the_run_goes_on",
        f"{POISON_TEST}::test_backoff_doubles_to_seven_days_then_gives_up",
        f"{POISON_TEST}::test_a_row_the_database_refuses_is_not_an_outage",
    ],
    "a date out of range in UTC: stored with a sane date": [
        "tests/test_dates_bounds.py::test_a_date_out_of_range_or_absurd_is_no_date",
        "tests/test_dates_bounds.py::"
        "test_a_page_with_such_a_json_ld_date_is_dated_by_the_next_candidate",
        "tests/test_dates_bounds.py::test_feed_and_sitemap_items_with_such_dates_are_kept_undated",
        "tests/test_dates_bounds.py::test_such_a_page_is_stored_with_a_sane_date_on_both_backends",
        "tests/faults/test_poison_run.py::test_a_run_full_of_poison_completes_and_the_next_one_too",
    ],
    "a source that floods: capped per run, newest first, sources interleaved": [
        f"{FANOUT}::test_a_flooding_source_is_capped_and_the_other_source_goes_first",
        f"{FANOUT}::test_fair_share_caps_newest_first_and_interleaves_sources",
    ],
    "a sitemap index with 1,000 children: every unread child recorded": [
        f"{FANOUT}::test_every_child_sitemap_left_unread_is_recorded",
    ],
    "mention amplification and a 5 MB <title>": [
        "tests/test_poison_amplification.py::"
        "test_mentions_are_capped_with_a_note_and_a_giant_title_keeps_the_body",
    ],
    "an invalid or hostile YAML configuration: one line, every command, no flow": [
        "tests/test_poison_config.py::test_bad_config_is_one_line_naming_file_and_line",
    ],
    "Prefect analytics off in every entry point": [
        "tests/test_poison_telemetry.py::test_importing_an_entry_point_turns_prefect_analytics_off",
    ],
    "a run full of poison items completes on SQLite and PostgreSQL; the next run too": [
        "tests/faults/test_poison_run.py::test_a_run_full_of_poison_completes_and_the_next_one_too",
    ],
    "any URL string: canonical_url/host_key never raise, canonical URLs storable; "
    "check_url raises only FetchFailed": [
        "tests/test_fuzz_urls.py::test_canonical_url_never_raises_and_is_storable",
        "tests/test_fuzz_urls.py::test_host_key_never_raises",
        "tests/test_fuzz_urls.py::test_check_url_refuses_only_with_fetch_failed",
    ],
    "NUL, lone surrogates, 1 MB strings, calendar-edge dates stored alike on both backends": [
        "tests/test_fuzz_store.py::test_any_value_is_stored_or_recorded_on_both_backends",
        "tests/test_fuzz_store.py::test_urls_no_listing_should_hold_are_keyed_and_found_again",
    ],
    "any listing bytes: parse failures only; an item with no readable link is recorded": [
        "tests/test_fuzz_listings.py::"
        "test_listings_raise_only_discovery_failed_and_name_what_they_cannot_use",
        "tests/test_fuzz_listings.py::test_feed_items_without_a_usable_link_are_named_with_a_reason",
        "tests/test_fuzz_listings.py::test_extraction_yields_an_article_or_extraction_failed",
    ],
    "a feed of the nastiest items next to good articles: run completes, next run too": [
        "tests/faults/test_fuzz_feed_run.py::"
        "test_a_feed_of_the_nastiest_items_stores_the_good_and_records_the_bad",
    ],
    "fuzz of extraction and tagging: no exception escapes but the documented ones": [
        "tests/test_extract.py::test_hostile_input_raises_only_extraction_failed",
        "tests/test_tagger.py::test_tag_never_raises",
        "tests/test_tagger.py::test_tag_never_raises_on_arbitrary_unicode",
    ],
}


def test_every_fault_route_of_the_site_is_in_the_table() -> None:
    named = " ".join(node for nodes in COVERAGE.values() for node in nodes)
    missing = [r.name for r in ROUTES if f"[{r.name}]" not in named]
    assert missing == []


def test_every_case_names_tests_that_exist() -> None:
    nodes = {node for tests in COVERAGE.values() for node in tests}
    files = sorted({node.split("::")[0] for node in nodes})
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         *files],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    found = set(collected.stdout.splitlines())
    # a node without [id] names every parametrization of its test
    found |= {node.split("[")[0] for node in found}
    assert not [c for c, tests in COVERAGE.items() if not tests]
    missing = sorted(node for node in nodes if node not in found)
    assert missing == [], collected.stderr[-2000:]
