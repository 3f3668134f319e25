"""The weekly digest: ISO week math, a typed context, rendering and delivery.

    week.py        parse "2024-W10", the last complete week, a week's bounds in a zone
    recipients.py  who gets the digest, each with an optional entity filter
    queries.py     reads (a week's articles, mention counts) and digest/delivery rows
    cluster.py     which stories report one event: TF-IDF of title and lead, tracked entities
    developments.py  the week's top developments: events across outlets and languages, ranked
    suggest.py     "not on your watchlist yet": rising names the watchlist does not cover
    context.py     DigestContext: everything a template shows, built from stored rows
    render.py      the one Jinja environment; HTML (CSS inlined), plain text, Markdown
    mail.py        the one mail path (digests and alerts): messages, outbox or SMTP
    delivery.py    each (week, recipient) copy exactly once: claims, SMTP stages, reports
    run.py         the flow's steps as plain functions: prepare, write, send, record

Errors: a bad week, recipients file or SMTP setting raises `ConfigError`; a recipient that
cannot be reached is a failure row (`DeliveryRow.state == "failed"`), never an exception.
"""
