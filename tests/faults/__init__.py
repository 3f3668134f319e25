"""The fault suite: the real ingest and digest flows against a hostile loopback site.

`hostile_site.py` serves a small good site and every hostile route of the reliability issue;
`test_*.py` run the flows against it and map each fault to the test that covers it.
"""
