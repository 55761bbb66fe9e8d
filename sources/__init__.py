"""Upstream sources: one module per upstream, each with one pure `parse`.

Built-in sources are found by name in `BUILTIN`; third-party sources register
through the entry-point group `watcher.sources` (an object satisfying `Source`,
or a callable `(name, options) -> Source` for configurable kinds).
"""
