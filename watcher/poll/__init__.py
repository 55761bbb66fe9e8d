"""The poll stage: one upstream document in, versions and changes out.

fetch → decode → parse (sources/) → guard → diff → one commit (`pipeline`), with
the pure step (`step`) shared by live polls, ingest, backfill and re-parse
(docs/architecture.md, "The flow").
"""
