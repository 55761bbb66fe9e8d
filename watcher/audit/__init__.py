"""`watcher audit`: find the code that uses models the database knows are doomed.

One idea per module, side effects at the edges:
- `files`: which files a scan reads (.gitignore, virtualenvs, vendored and binary files skipped).
- `scan`: pure, bytes in, hits out: known ids as whole identifiers, configured product patterns.
- `lifecycle`: pure, current rows in, what each id resolves to (status, the provider's shutdown,
  replacement, catalogs' disagreements).
- `findings`: hits + lifecycles + a clock -> findings with levels, fingerprints, the gate, the baseline.
- `sarif`: findings as a SARIF 2.1.0 log.
The database read is `watcher.store.audit`; the command is `watcher.cli.audit`.
"""
