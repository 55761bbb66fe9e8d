"""Pure building blocks: money, durations, secrets and redaction, config validation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from watcher.config import ConfigError, load, parse
from watcher.durations import parse_duration, parse_time
from watcher.money import format_price, per_million, to_decimal
from watcher.secrets import Secret, expand, redact_text, redact_url


@pytest.mark.parametrize(
    ("value", "scale", "expected"),
    [
        (2.5e-06, 1_000_000, "2.5"),
        ("0.0000025", 1_000_000, "2.5"),
        ("2.50", 1, "2.5"),
        (0.0002833333333333333, 1_000_000, "283.3333333"),
        (0.000283333333333, 1_000_000, "283.3333333"),  # float noise compares equal
        (10, 1, "10"),
        ("$0.10", 1, "0.1"),
        ("0", 1, "0"),
        (1e-09, 1_000_000, "0.001"),
    ],
)
def test_prices_normalise_to_exact_decimals(value: object, scale: int, expected: str) -> None:
    result = to_decimal(value, scale)
    assert result is not None and format_price(result) == expected


def test_non_numbers_are_not_prices() -> None:
    assert to_decimal("n/a") is None and to_decimal(None) is None and to_decimal(True) is None
    assert to_decimal(float("nan")) is None
    assert per_million("0.00000015") == Decimal("0.15")


def test_durations_and_times() -> None:
    assert parse_duration("1h") == dt.timedelta(hours=1)
    assert parse_duration("1d12h") == dt.timedelta(hours=36)
    assert parse_duration("90") == dt.timedelta(seconds=90)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("1 fortnight")
    assert parse_time("2026-03-24") == dt.datetime(2026, 3, 24, tzinfo=dt.UTC)
    assert parse_time("2026-03-24T10:00:00+02:00") == dt.datetime(2026, 3, 24, 8, tzinfo=dt.UTC)
    now = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
    assert parse_time("7d", now=now) == now - dt.timedelta(days=7)


def test_secrets_never_print_their_value(tmp_path: Path) -> None:
    secret = expand("${HOOK}", where="channels.a.url", environ={"HOOK": "https://hooks.slack.com/services/T0/B0/abc123"})
    assert secret.reveal().endswith("abc123")
    for shown in (str(secret), repr(secret), f"{secret}", str([secret])):
        assert "abc123" not in shown
    (tmp_path / "smtp").write_text("s3cret-pw\n")
    from_credential = expand("mailtos://u:${credential:smtp}@mail.example.com", where="channels.b.url",
                             environ={"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert from_credential.reveal() == "mailtos://u:s3cret-pw@mail.example.com"
    assert "s3cret" not in str(from_credential)
    text = redact_text("failed posting to mailtos://u:s3cret-pw@mail.example.com and "
                       "https://hooks.slack.com/services/T0/B0/zzz", [from_credential])
    assert "s3cret" not in text and "zzz" not in text
    assert redact_url("https://hooks.slack.com/services/T0/B0/abc123") == "https://hooks.slack.com/***"
    assert redact_url("mailtos://u:pw@mail.example.com:587?to=a@b.c") == "mailtos://mail.example.com:587/***"
    # Schemes that carry a token where the host would be show no host at all.
    for url in ("slack://xoxb-1234-s3cret/#alerts", "tgram://123456:s3cretBot/42", "discord://4174216298/s3cret"):
        bot = expand("${URL}", where="channels.c.url", environ={"URL": url})
        assert "s3cret" not in str(bot) and "s3cret" not in repr(bot)
        assert "s3cret" not in redact_text(f"posting to {url} failed", [bot])


def test_secret_errors_name_the_key_not_the_value() -> None:
    with pytest.raises(ConfigError, match=r"channels\.slack\.url: environment variable HOOK is not set"):
        parse(tomllib.loads('[channels.slack]\nurl = "${HOOK}"'), path=None, environ={})
    with pytest.raises(ConfigError, match=r"needs \$CREDENTIALS_DIRECTORY"):
        parse(tomllib.loads('[channels.slack]\nurl = "${credential:hook}"'), path=None, environ={})
    optional = parse(tomllib.loads('[channels.slack]\nurl = "${HOOK:-}"'), path=None, environ={})
    assert not optional.channels["slack"].enabled


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('bogus = 1', "bogus: unknown key"),
        ('[sources.openrouter]\nevery = "soon"', "sources.openrouter.every: not a duration"),
        ('[sources.openrouter]\nevery = "1h"\ncron = "0 * * * *"', "give `every` or `cron`, not both"),
        ('[sources.openrouter]\ncron = "0 * *"', "sources.openrouter.cron: expected 5 fields"),
        ('[sources.openrouter]\nmax_loss = 2', "sources.openrouter.max_loss: a share between 0 and 1"),
        ('[sources.openrouter]\ndelist_after = "2"', "sources.openrouter.delist_after: expected int, got str"),
        ('[watchlist]\nmodels = "sora-2"', "watchlist.models: expected list"),
        ('[[routes]]\nchannels = []', "routes[0].channels: name at least one channel"),
        ('[daemon]\nlisten = "9464"', "daemon.listen: expected HOST:PORT"),
        ('[alerts]\nseverity_rules = [1]',
         'alerts.severity_rules[0]: must be a table {when = {...}, severity = "critical"}'),
        ('[alerts]\nseverity_rules = [{severity = "info", wen = {}}]',
         "alerts.severity_rules[0].wen: unknown key (expected one of: severity, when)"),
        ('[alerts]\nseverity_rules = [{when = {kind = "price"}}]',
         "alerts.severity_rules[0].severity: one of info, warning, critical, got None"),
        ('[sources.gw]\ntype = "json-catalgo"\nurl = "http://127.0.0.1/x.json"',
         "sources.gw.type: unknown source type 'json-catalgo' (known: json-catalog)"),
        ('[sources.openrouter]\ntpye = "json-catalog"',
         "sources.openrouter.tpye: unknown key (expected one of: cron, delist_after, enabled, every, "
         "failures_before_alert, jitter, max_loss, refused_alert_every, stale_after, type, url, urls)"),
    ],
)
def test_config_errors_name_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(tomllib.loads(text), path=None, environ={})
    assert message in str(info.value)


def test_shipped_config_toml_is_valid_and_lists_every_builtin_source() -> None:
    settings = load(Path(__file__).resolve().parent.parent / "config.toml", environ={})
    assert set(settings.sources) >= {"openai-deprecations", "openai-pricing", "openrouter", "litellm", "models-dev"}
    from sources.registry import template

    # Account views stay off while their API key is unset (as it is here).
    assert all(s.enabled != template(name).account_view for name, s in settings.sources.items())  # type: ignore[union-attr]
    assert settings.watchlist and settings.routes
    assert not any(channel.enabled for channel in settings.channels.values())  # no secrets set here


def test_builtin_sources_default_on_and_can_be_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHER_BUILTIN_SOURCES")  # the suite turns unnamed built-ins off
    settings = parse(tomllib.loads('[sources.models-dev]\nenabled = false'), path=None, environ={})
    assert settings.sources["openai-deprecations"].enabled
    assert not settings.sources["models-dev"].enabled
    assert isinstance(Secret("x"), Secret)


def test_jitter_can_be_turned_off_but_intervals_cannot_be_zero() -> None:
    settings = parse(tomllib.loads('[sources.openrouter]\njitter = "0s"'), path=None, environ={})
    assert settings.sources["openrouter"].jitter == dt.timedelta(0)
    with pytest.raises(ConfigError, match="sources.openrouter.every: must be positive"):
        parse(tomllib.loads('[sources.openrouter]\nevery = "0s"'), path=None, environ={})


def test_the_first_severity_rule_that_fits_sets_the_severity() -> None:
    from watcher.model import Change, ChangeKind, Severity
    from watcher.severity import SeverityPolicy

    settings = parse(tomllib.loads(
        '[alerts]\nseverity_rules = [{when = {model = "gpt-4.1*", kind = ["price"]}, severity = "critical"},\n'
        '                  {when = {kind = "price"}, severity = "warning"}]'), path=None, environ={})
    policy = SeverityPolicy(rules=settings.alerts.severity_rules)
    price = Change("litellm", "k", "openai", "gpt-4.1-mini", ChangeKind.PRICE, "input", "3", "2")
    today = dt.date(2026, 1, 1)
    assert policy.assess(price, None, today).severity is Severity.CRITICAL
    other = dataclasses.replace(price, model="o3")
    assert policy.assess(other, None, today).severity is Severity.WARNING
    assert SeverityPolicy().assess(other, None, today).severity is Severity.INFO  # a price cut, by default
