"""config.toml -> typed settings. Every error names the key it is about.

Unknown keys are errors, not silently ignored: a typo such as `evry = "1h"`
would otherwise leave a source polled at the default rate with nobody knowing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import tomllib
import typing
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Final

from sources.registry import BUILTIN, TYPE_KEY, URL_KEYS, declared_options
from watcher.audit.levels import LEVEL_NAMES
from watcher.durations import parse_duration
from watcher.matching import WHEN_CRITERIA
from watcher.model import KIND_NAMES, SEVERITY_NAMES, Severity
from watcher.secrets import Secret, SecretError, expand

DEFAULT_CONFIG_PATH: Final = Path("config.toml")
DEFAULT_EVERY: Final = dt.timedelta(hours=1)
BUILTIN_SOURCE_NAMES: Final = tuple(BUILTIN)
# `named`: a built-in source the config does not name is off (the test suite sets
# it, so no test can reach a real host because a new built-in source appeared).
BUILTINS_ENV: Final = "WATCHER_BUILTIN_SOURCES"


class ConfigError(ValueError):
    """A config problem, phrased for the operator: `key: what is wrong`."""


def setting(default: Any, help: str, *, zero_ok: bool = False) -> Any:
    """One config key, declared once: its default, its type (the field's annotation) and
    its help. The keys a table allows and how a value is read derive from these
    declarations (`_read`). `zero_ok`: a duration of 0 is allowed (it turns the thing off)."""
    return dataclasses.field(default=default, metadata={"help": help, "zero_ok": zero_ok})


def required(help: str) -> Any:
    """A config key with no default (the table is wrong without it), declared once."""
    return dataclasses.field(metadata={"help": help})


def placed(at: tuple[str, ...], help: str, *, default: Any = dataclasses.MISSING,
           default_factory: Any = dataclasses.MISSING) -> Any:
    """A part of `Settings` and where it stands in the file (`("storage", "url")`): the
    top-level keys and those of `[storage]` and `[watchlist]` derive from these."""
    return dataclasses.field(default=default, default_factory=default_factory, metadata={"help": help, "at": at})


def _keys(cls: type) -> set[str]:
    """The config keys a settings table allows: its declared settings."""
    return {f.name for f in dataclasses.fields(cls) if "help" in f.metadata}


@functools.cache
def _keys_at(table: tuple[str, ...]) -> frozenset[str]:
    """The keys the file allows in `table` (`()`: the top level), as `Settings` places its parts."""
    depth = len(table)
    places = (f.metadata.get("at", ()) for f in dataclasses.fields(Settings))
    return frozenset(at[depth] for at in places if len(at) > depth and at[:depth] == table)


def _default(cls: type, name: str) -> Any:
    """A setting's declared default (for a key read by hand, beside `_read`)."""
    return next(f.default for f in dataclasses.fields(cls) if f.name == name)


def settings_help(cls: type) -> dict[str, str]:
    """Each config key of a settings table and its help, as declared."""
    return {f.name: f.metadata["help"] for f in dataclasses.fields(cls) if "help" in f.metadata}


@dataclasses.dataclass(frozen=True, slots=True)
class SourceSettings:
    name: str
    enabled: bool = setting(True, "false turns the source off")
    every: dt.timedelta | None = setting(DEFAULT_EVERY, "poll interval, e.g. 1h (or give `cron`)")
    cron: str | None = setting(None, "poll schedule as 5 cron fields, instead of `every`")
    jitter: dt.timedelta | None = setting(None, "random delay per poll; default a tenth of the interval, at most 5 min; 0s: none",
                                          zero_ok=True)
    delist_after: int = setting(2, "consecutive successful polls a row must be missing before it is believed gone")
    max_loss: float = setting(0.5, "refuse a parse that loses more than this share of rows (0 to 1)")
    failures_before_alert: int = setting(3, "consecutive failed polls before the source's health is news")
    refused_alert_every: dt.timedelta = setting(dt.timedelta(days=1), "repeat a refusal's alert this often while it lasts")
    stale_after: dt.timedelta | None = setting(None, "when /healthz calls the source stale; default 3 intervals")
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # for the parser


@dataclasses.dataclass(frozen=True, slots=True)
class ChannelSettings:
    name: str
    url: Secret = required("an apprise URL, e.g. \"${SLACK_WEBHOOK_URL}\"; empty turns the channel off")
    format: str = setting("text", "\"json\": our own JSON document (docs/alerts.md), not apprise's message")

    @property
    def enabled(self) -> bool:
        """A URL that expands to nothing (`${SLACK_WEBHOOK_URL:-}` unset) turns the channel off."""
        return bool(self.url.reveal().strip())


@dataclasses.dataclass(frozen=True, slots=True)
class RouteSettings:
    name: str = required("the route's name in logs and the outbox; default route-N")
    channels: tuple[str, ...] = required("the channels it sends to, by name")
    when: Mapping[str, Any] = dataclasses.field(default_factory=dict, metadata={
        "help": "which changes it takes: source, provider, model, kind, severity, watchlist"})


@dataclasses.dataclass(frozen=True, slots=True)
class SeverityRule:
    """One of `[alerts] severity_rules`: the first whose `when` fits a change sets its severity."""

    severity: Severity = required("the severity it sets: info, warning or critical")
    when: Mapping[str, Any] = dataclasses.field(default_factory=dict, metadata={
        "help": "which changes it takes, as a route's `when`"})


@dataclasses.dataclass(frozen=True, slots=True)
class AlertSettings:
    max_attempts: int | None = setting(None, "cap on send attempts; default none, only `give_up_after`")
    give_up_after: dt.timedelta = setting(dt.timedelta(days=1),
                                          "a delivery failing this long after it was queued is dead (and is news itself)")
    digest_max_items: int = setting(15, "changes listed in one digest message")
    reminder_days: tuple[int, ...] = setting((90, 30, 14, 7, 1, 0), "days before a watched shutdown to remind")
    severity_rules: tuple[SeverityRule, ...] = setting((), "[{when = {...}, severity = ...}], first match wins")
    retry_after: dt.timedelta = setting(dt.timedelta(seconds=60), "first outbox retry; doubled per failed attempt")
    retry_max: dt.timedelta = setting(dt.timedelta(hours=1), "longest wait between outbox retries")
    send_timeout: dt.timedelta = setting(dt.timedelta(seconds=30), "how long one send may take")
    flapping_changes: int = setting(4, "this many changes of one field within the window is flapping (0: off)")
    flapping_window: dt.timedelta = setting(dt.timedelta(hours=24), "the flapping window")


@dataclasses.dataclass(frozen=True, slots=True)
class FetchSettings:
    timeout: float = setting(30.0, "seconds for one whole exchange")
    max_bytes: int = setting(20_000_000, "largest body read (after decoding)")
    retries: int = setting(3, "retries of a failed fetch")
    retry_after_cap: float = setting(300.0, "longest Retry-After honoured, in seconds")
    user_agent: str | None = setting(None, "User-Agent header; default names the watcher and its version")


@dataclasses.dataclass(frozen=True, slots=True)
class DaemonSettings:
    listen: str | None = setting(None, "HOST:PORT of /metrics and /healthz, e.g. 127.0.0.1:9464")
    lease_seconds: int = setting(30, "leader lease length for replicas")
    deliver_every: dt.timedelta = setting(dt.timedelta(seconds=30), "how often the outbox is dispatched")
    web: bool = setting(True, "serve the read-only page, feeds and API beside /metrics on `listen`")


@dataclasses.dataclass(frozen=True, slots=True)
class RetentionSettings:
    documents_max_age: dt.timedelta | None = setting(dt.timedelta(days=180),
                                                     "raw documents older than this are pruned (\"never\": kept)")
    documents_keep: int = setting(20, "newest raw documents per source always kept")


@dataclasses.dataclass(frozen=True, slots=True)
class AuditSettings:
    """`watcher audit` defaults (docs/audit.md); its options override them."""

    fail_within: dt.timedelta = setting(dt.timedelta(days=30), "fail on a shutdown within this long", zero_ok=True)
    fail_on: str = setting("error", "the lowest finding level that fails: error, warning or note")
    exclude: tuple[str, ...] = setting((), "gitignore-style patterns, relative to where the audit runs")
    baseline: str | None = setting(None, "file of accepted findings")
    # Product rows (`Videos API`) -> literal patterns that use them (`videos.create`).
    patterns: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict, metadata={
        "help": "product rows (Videos API) -> literal patterns that use them (videos.create)"})


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    path: Path | None = None
    storage_url: str | None = placed(("storage", "url"), "database URL; default a SQLite file", default=None)
    retention: RetentionSettings = placed(("storage", "retention"), "how long raw documents are kept",
                                          default=RetentionSettings())
    sources: Mapping[str, SourceSettings] = placed(("sources",), "[sources.NAME]: one table a source",
                                                   default_factory=dict)
    watchlist: tuple[str, ...] = placed(("watchlist", "models"), "model globs whose changes matter most", default=())
    channels: Mapping[str, ChannelSettings] = placed(("channels",), "[channels.NAME]: where alerts go",
                                                     default_factory=dict)
    routes: tuple[RouteSettings, ...] = placed(("routes",), "[[routes]]: which changes go to which channels",
                                               default=())
    alerts: AlertSettings = placed(("alerts",), "delivery, digests, reminders, severity rules", default=AlertSettings())
    fetch: FetchSettings = placed(("fetch",), "how documents are fetched", default=FetchSettings())
    daemon: DaemonSettings = placed(("daemon",), "the long-running watcher", default=DaemonSettings())
    audit: AuditSettings = placed(("audit",), "`watcher audit` defaults", default=AuditSettings())

    def secrets(self) -> list[Secret]:
        return [channel.url for channel in self.channels.values()] + [
            value for source in self.sources.values() for value in source.options.values()
            if isinstance(value, Secret)]


# --- reading -------------------------------------------------------------------------


def load(path: Path | None, *, environ: Mapping[str, str] | None = None) -> Settings:
    """Read `path` (or ./config.toml when it exists; else built-in defaults)."""
    explicit = path is not None
    path = path or DEFAULT_CONFIG_PATH
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: no such config file")
        return parse({}, path=None, environ=environ)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse(raw, path=path, environ=environ)


def parse(raw: Mapping[str, Any], *, path: Path | None, environ: Mapping[str, str] | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)
    _no_unknown(raw, _keys_at(()), "")
    storage = _table(raw, "storage")
    _no_unknown(storage, _keys_at(("storage",)), "storage")
    url = _opt(storage, "url", str, "storage")
    if url is not None:
        url = _secret(url, "storage.url", env).reveal()
    channels = _channels(_table(raw, "channels"), env)
    routes = _routes(raw.get("routes", []), channels)
    watch = _table(raw, "watchlist")
    _no_unknown(watch, _keys_at(("watchlist",)), "watchlist")
    models = _opt(watch, "models", list, "watchlist") or []
    if not all(isinstance(m, str) and m for m in models):
        raise ConfigError("watchlist.models: must be a list of model globs (strings)")
    sources = _sources(_table(raw, "sources"), env)
    _check_schedules(sources)
    return Settings(
        path=path,
        storage_url=url,
        retention=_retention(_table(storage, "retention", "storage")),
        sources=sources,
        watchlist=tuple(models),
        channels=channels,
        routes=routes,
        alerts=_alerts(_table(raw, "alerts")),
        fetch=_fetch(_table(raw, "fetch")),
        daemon=_daemon(_table(raw, "daemon")),
        audit=_audit(_table(raw, "audit")),
    )


# Every source's schedule and guard keys (as SourceSettings declares them), its URL
# keys and its type key; a source's own options come from its declaration.
_SCHEDULE_KEYS: Final = frozenset(_keys(SourceSettings))
_SOURCE_KEYS: Final = _SCHEDULE_KEYS | {TYPE_KEY, *URL_KEYS}


def _sources(raw: Mapping[str, Any], env: dict[str, str]) -> dict[str, SourceSettings]:
    found: dict[str, SourceSettings] = {}
    # Read from the process environment, not `environ` (which only feeds ${…} expansion).
    unnamed_on = os.environ.get(BUILTINS_ENV, "all") != "named"
    for name in BUILTIN_SOURCE_NAMES:
        if name not in raw:
            options, ready = _source_options(name, {}, env)
            found[name] = SourceSettings(name=name, enabled=unnamed_on and ready, options=options)
    for name, table in raw.items():
        where = f"sources.{name}"
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where}: must be a table")
        generic = TYPE_KEY in table
        declared = None if generic else declared_options(name)
        if not generic:
            _no_unknown(table, _SOURCE_KEYS | {o.name for o in declared or ()}, where)
        options, ready = _source_options(name, table, env)
        _check_kind(name, table, where)
        values = _read(SourceSettings, {k: v for k, v in table.items() if k in _SCHEDULE_KEYS}, where)
        cron = values.get("cron")
        if values.get("every") and cron:
            raise ConfigError(f"{where}: give `every` or `cron`, not both")
        if cron is not None and len(cron.split()) != 5:
            raise ConfigError(f"{where}.cron: expected 5 fields (minute hour day month weekday), got {cron!r}")
        if cron and "every" not in values:
            values["every"] = None  # the schedule is the cron expression alone
        max_loss = values.get("max_loss")
        if max_loss is not None and not 0 < max_loss <= 1:
            raise ConfigError(f"{where}.max_loss: a share between 0 and 1, got {table['max_loss']}")
        delist_after = values.get("delist_after")
        if delist_after is not None and delist_after < 1:
            raise ConfigError(f"{where}.delist_after: at least 1, got {delist_after}")
        values["enabled"] = values.get("enabled", _default(SourceSettings, "enabled")) and ready
        found[name] = SourceSettings(name=name, options=options, **values)
    return found


def _source_options(name: str, table: Mapping[str, Any], env: dict[str, str]) -> tuple[dict[str, Any], bool]:
    """The parser's options (declared ones type-checked, secrets expanded) and whether
    every required option has a value (an API key nobody configured leaves it off)."""
    options = {k: v for k, v in table.items() if k not in _SCHEDULE_KEYS}
    ready = True
    for option in declared_options(name) or () if TYPE_KEY not in table else ():
        where = f"sources.{name}.{option.name}"
        value = options.get(option.name, option.default)
        kind: type | tuple[type, ...] = (int, float) if isinstance(option.default, float) else type(option.default)
        if option.default is not None and (not isinstance(value, kind) or (
                isinstance(value, bool) and not isinstance(option.default, bool))):
            raise ConfigError(f"{where}: expected {type(option.default).__name__}, got {type(value).__name__}")
        if option.secret and isinstance(value, str):
            value = _secret(value, where, env)
        if option.required and not (value.reveal().strip() if isinstance(value, Secret) else value):
            ready = False
        if option.secret or option.name in options:
            options[option.name] = value
    return options, ready


def _check_kind(name: str, table: Mapping[str, Any], where: str) -> None:
    """A source the registry cannot build is a config error now, not at its first poll."""
    from sources.registry import BUILTIN, CONFIGURABLE, known_names

    kind = table.get(TYPE_KEY)
    if kind is not None:
        if kind not in CONFIGURABLE:
            raise ConfigError(f"{where}.{TYPE_KEY}: unknown source type {kind!r} (known: {', '.join(sorted(CONFIGURABLE))})")
        return
    if name not in known_names():
        raise ConfigError(f"{where}: not a built-in source ({', '.join(BUILTIN)}) nor an installed plugin: "
                          f"set `{TYPE_KEY}` (one of {', '.join(sorted(CONFIGURABLE))}) or fix the name")


def _check_schedules(sources: Mapping[str, SourceSettings]) -> None:
    """Cron expressions and jitter checked by the code that will schedule them, so
    `watcher sources` rejects what `watcher run` would. Only a cron expression or a
    jitter of one's own can be wrong (the default jitter is a tenth of the interval):
    the others leave the scheduler unimported, which a query command would pay for."""
    chosen = [settings for settings in sources.values() if settings.cron or settings.jitter is not None]
    if not chosen:
        return
    from watcher.schedule_spec import ScheduleError, plan_schedule

    now = dt.datetime.now(dt.UTC)
    for settings in chosen:
        try:
            plan_schedule(settings, now)
        except ScheduleError as exc:
            raise ConfigError(str(exc)) from None


def _channels(raw: Mapping[str, Any], env: dict[str, str]) -> dict[str, ChannelSettings]:
    out: dict[str, ChannelSettings] = {}
    for name, table in raw.items():
        where = f"channels.{name}"
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where}: must be a table with a `url`")
        _no_unknown(table, _keys(ChannelSettings), where)
        url = _opt(table, "url", str, where)
        if not url:
            raise ConfigError(f"{where}.url: required (an apprise URL, e.g. \"${{SLACK_WEBHOOK_URL}}\")")
        fmt = _opt(table, "format", str, where, default=_default(ChannelSettings, "format"))
        channel = ChannelSettings(name=name, url=_secret(url, f"{where}.url", env), format=fmt)
        # Spelling only (apprise's own check waits for `check_channels`): a URL that
        # can never work stops start-up here, naming the channel.
        from watcher.alerts.channels import FORMATS, url_syntax_problem

        if fmt not in FORMATS:
            raise ConfigError(f"{where}.format: one of {', '.join(FORMATS)}, got {fmt!r}")
        if channel.enabled and (problem := url_syntax_problem(channel.url, fmt)) is not None:
            raise ConfigError(f"{where}.url: {problem}")
        out[name] = channel
    return out


def check_channels(settings: Settings) -> None:
    """Raise ConfigError for the first enabled channel whose URL apprise cannot use.

    Asked by what sends or validates (`run` and its reloads, `notify-test`, `config
    check`), not by every config load: apprise loads all its plugins to answer (a
    few hundred milliseconds), which query commands should not pay. A typo found at
    3 a.m. is an outage, so the daemon refuses to start on one.
    """
    from watcher.alerts.channels import url_problem

    for name, channel in settings.channels.items():
        if channel.format == "json":
            continue  # posted by us, not apprise: its spelling was checked at load
        if channel.enabled and (problem := url_problem(channel.url)) is not None:
            raise ConfigError(f"channels.{name}.url: {problem}")


def _routes(raw: Any, channels: Mapping[str, ChannelSettings]) -> tuple[RouteSettings, ...]:
    if not isinstance(raw, list):
        raise ConfigError("routes: must be an array of tables ([[routes]])")
    out: list[RouteSettings] = []
    for index, table in enumerate(raw):
        where = f"routes[{index}]"
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where}: must be a table")
        _no_unknown(table, _keys(RouteSettings), where)
        name = _opt(table, "name", str, where) or f"route-{index + 1}"
        names = _opt(table, "channels", list, where) or []
        if not names:
            raise ConfigError(f"{where}.channels: name at least one channel")
        for channel in names:
            if channel not in channels:
                raise ConfigError(f"{where}.channels: no channel named {channel!r} (define [channels.{channel}])")
        when = _opt(table, "when", dict, where) or {}
        _check_when(when, f"{where}.when")
        out.append(RouteSettings(name=name, channels=tuple(names), when=when))
    return tuple(out)


_SEVERITIES: Final = SEVERITY_NAMES


def _check_when(when: Mapping[str, Any], where: str) -> None:
    """A misspelt severity or kind would make a route silently match nothing."""
    _no_unknown(when, WHEN_CRITERIA, where)
    allowed = {"severity": _SEVERITIES, "kind": KIND_NAMES}
    for key, choices in allowed.items():
        values = when.get(key, [])
        for value in values if isinstance(values, list) else [values]:
            if value not in choices:
                raise ConfigError(f"{where}.{key}: {value!r} is not one of {', '.join(choices)}")
    if "watchlist" in when and not isinstance(when["watchlist"], bool):
        raise ConfigError(f"{where}.watchlist: true or false")


def _alerts(raw: Mapping[str, Any]) -> AlertSettings:
    values = _read(AlertSettings, raw, "alerts", custom={"reminder_days", "severity_rules"})
    days = _opt(raw, "reminder_days", list, "alerts")
    if days is not None and not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in days):
        raise ConfigError("alerts.reminder_days: a list of whole days, e.g. [90, 30, 14, 7, 1, 0]")
    rules = [_severity_rule(rule, f"alerts.severity_rules[{index}]")
             for index, rule in enumerate(_opt(raw, "severity_rules", list, "alerts") or [])]
    if days is not None:
        values["reminder_days"] = tuple(sorted(set(days), reverse=True))
    settings = AlertSettings(**values, severity_rules=tuple(rules))
    if settings.flapping_changes < 0:
        raise ConfigError(f"alerts.flapping_changes: 0 (off) or more, got {settings.flapping_changes}")
    if settings.max_attempts is not None and settings.max_attempts < 1:
        raise ConfigError(f"alerts.max_attempts: at least 1, got {settings.max_attempts}")
    if settings.digest_max_items < 1:
        raise ConfigError(f"alerts.digest_max_items: at least 1, got {settings.digest_max_items}")
    return settings


def _severity_rule(rule: Any, where: str) -> SeverityRule:
    if not isinstance(rule, Mapping):
        raise ConfigError(f"{where}: must be a table {{when = {{...}}, severity = \"critical\"}}")
    _no_unknown(rule, _keys(SeverityRule), where)
    when = _opt(rule, "when", dict, where) or {}
    _check_when(when, f"{where}.when")
    severity = rule.get("severity")
    if severity not in _SEVERITIES:
        raise ConfigError(f"{where}.severity: one of {', '.join(_SEVERITIES)}, got {severity!r}")
    return SeverityRule(Severity(severity), when)


def _fetch(raw: Mapping[str, Any]) -> FetchSettings:
    return FetchSettings(**_read(FetchSettings, raw, "fetch"))


def _daemon(raw: Mapping[str, Any]) -> DaemonSettings:
    settings = DaemonSettings(**_read(DaemonSettings, raw, "daemon"))
    if settings.listen is not None and ":" not in settings.listen:
        raise ConfigError(f"daemon.listen: expected HOST:PORT, got {settings.listen!r}")
    return settings


AUDIT_LEVELS: Final = LEVEL_NAMES


def _audit(raw: Mapping[str, Any]) -> AuditSettings:
    values = _read(AuditSettings, raw, "audit", custom={"exclude", "patterns"})
    fail_on = AuditSettings(**values).fail_on
    if fail_on not in AUDIT_LEVELS:
        raise ConfigError(f"audit.fail_on: {fail_on!r} is not one of {', '.join(AUDIT_LEVELS)}")
    exclude = _opt(raw, "exclude", list, "audit") or []
    if not all(isinstance(p, str) and p for p in exclude):
        raise ConfigError("audit.exclude: must be a list of gitignore-style patterns (strings)")
    patterns: dict[str, tuple[str, ...]] = {}
    for name, texts in _table(raw, "patterns", "audit").items():
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t.strip() for t in texts):
            raise ConfigError(f"audit.patterns.{name}: must be a non-empty list of literal patterns (strings)")
        patterns[name] = tuple(texts)
    return AuditSettings(**{**values, "baseline": values.get("baseline") or None},
                         exclude=tuple(exclude), patterns=patterns)


def _retention(raw: Mapping[str, Any]) -> RetentionSettings:
    values = _read(RetentionSettings, raw, "storage.retention", custom={"documents_max_age"})
    age = _opt(raw, "documents_max_age", str, "storage.retention")
    if age is not None:  # "" or "never": raw documents are kept
        values["documents_max_age"] = (None if age in ("", "never")
                                       else _duration(age, "storage.retention.documents_max_age"))
    return RetentionSettings(**values)


# --- reading a table by its declaration ---------------------------------------------------


def _read(cls: type, raw: Mapping[str, Any], where: str, *, extra: Collection[str] = (),
          custom: Collection[str] = ()) -> dict[str, Any]:
    """The keys of `raw` read as `cls` declares them (unknown keys are errors; keys in
    `extra` are allowed and left to the caller, as are the `custom` settings). A
    duration is written as text ("90s", "1h"); an empty one means the default."""
    declared = _declared(cls)
    _no_unknown(raw, declared.keys() | set(extra), where)
    values: dict[str, Any] = {}
    for name, (kind, zero_ok) in declared.items():
        if name in custom or name not in raw:
            continue
        if kind is dt.timedelta:
            text = _opt(raw, name, str, where)
            if text:
                values[name] = _duration(text, _join(where, name), zero_ok=zero_ok)
        elif kind is float:
            values[name] = float(_opt(raw, name, (int, float), where))
        else:
            values[name] = _opt(raw, name, kind, where)
    return values


@functools.cache
def _declared(cls: type) -> dict[str, tuple[type, bool]]:
    """Each declared setting of `cls`: (its type without None, zero_ok). Cached: reading
    the annotations costs more than reading a whole config file."""
    hints = typing.get_type_hints(cls)
    out: dict[str, tuple[type, bool]] = {}
    for f in dataclasses.fields(cls):
        if "help" in f.metadata:
            kinds = [k for k in typing.get_args(hints[f.name]) or (hints[f.name],) if k is not type(None)]
            out[f.name] = (typing.get_origin(kinds[0]) or kinds[0], bool(f.metadata.get("zero_ok")))
    return out


# --- small validators ------------------------------------------------------------------


def _table(raw: Mapping[str, Any], key: str, parent: str = "") -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{_join(parent, key)}: must be a table")
    return value


def _opt(raw: Mapping[str, Any], key: str, kind: type | tuple[type, ...], parent: str, default: Any = None) -> Any:
    if key not in raw:
        return default
    value = raw[key]
    bad_bool = isinstance(value, bool) and kind in (int, (int, float))
    if not isinstance(value, kind) or bad_bool:
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise ConfigError(f"{_join(parent, key)}: expected {names}, got {type(value).__name__}")
    return value


def _no_unknown(raw: Mapping[str, Any], allowed: Collection[str], parent: str) -> None:
    for key in raw:
        if key not in allowed:
            hint = ", ".join(sorted(allowed))
            raise ConfigError(f"{_join(parent, key)}: unknown key (expected one of: {hint})")


def _duration(text: str, where: str, *, zero_ok: bool = False) -> dt.timedelta:
    try:
        value = parse_duration(text)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if value < dt.timedelta(0) or (value == dt.timedelta(0) and not zero_ok):
        raise ConfigError(f"{where}: must be positive")
    return value


def _secret(text: str, where: str, env: dict[str, str]) -> Secret:
    try:
        return expand(text, where=where, environ=env)
    except SecretError as exc:
        raise ConfigError(str(exc)) from None


def _join(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key
