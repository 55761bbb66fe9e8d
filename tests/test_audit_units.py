"""The pure parts of `watcher audit`: whole-identifier matching, patterns, file selection,
what ids resolve to, levels, fingerprints, the baseline and the [audit] config."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from tests.audit_support import VIDEOS_PATTERNS, make_repo
from watcher.audit.files import discover
from watcher.audit.findings import (
    BaselineError,
    apply_baseline,
    baseline_document,
    failing,
    judge,
    read_baseline,
)
from watcher.audit.levels import Level
from watcher.audit.lifecycle import build_index
from watcher.audit.scan import Scanner
from watcher.config import ConfigError, parse
from watcher.disagreements.rules import Row
from watcher.model import NO_REPLACEMENT, Observation, Status

D = dt.date
OFFICIAL = {"openai-deprecations"}
KNOWN = ["sora-2", "sora-2-pro", "gpt-4", "gpt-4.1", "openai/sora-2-pro", "claude-3-5-sonnet@20240620"]


def ids(text: str, known: list[str] = KNOWN) -> list[tuple[str, str]]:
    return [(h.written, h.target) for h in Scanner(known).scan(text.encode())]


@pytest.mark.parametrize(("text", "expected"), [
    ('"sora-2"', [("sora-2", "sora-2")]),
    ("model: sora-2", [("sora-2", "sora-2")]),
    ("OPENAI_MODEL=sora-2", [("sora-2", "sora-2")]),
    ("We moved off sora-2.", [("sora-2", "sora-2")]),
    ("sora-2-proxy", []),
    ("my_sora-2", []),
    ("sora-2_backup", []),
    ("xsora-2", []),
    ("x-sora-2", []),
    ("x.sora-2", []),
    ("--model=-sora-2", [("sora-2", "sora-2")]),
    (".sora-2", [("sora-2", "sora-2")]),
    ("sora-2.5", []),
    ("SORA-2", []),
    ("sora-2-pro", [("sora-2-pro", "sora-2-pro")]),
    ("gpt-4.1", [("gpt-4.1", "gpt-4.1")]),
    ("gpt-4.10", []),
    ("openai/sora-2-pro", [("openai/sora-2-pro", "openai/sora-2-pro")]),
    ("openrouter/openai/sora-2", [("openrouter/openai/sora-2", "sora-2")]),
    ('init_chat_model("openai:gpt-4")', [("openai:gpt-4", "gpt-4")]),
    ("https://example.com/models/sora-2", [("https://example.com/models/sora-2", "sora-2")]),
    ("claude-3-5-sonnet@20240620", [("claude-3-5-sonnet@20240620", "claude-3-5-sonnet@20240620")]),
    ("[sora-2, gpt-4]", [("sora-2", "sora-2"), ("gpt-4", "gpt-4")]),
])
def test_ids_match_only_as_whole_identifiers(text: str, expected: list[tuple[str, str]]) -> None:
    assert ids(text) == expected


def test_an_id_after_a_separator_inside_a_rejected_candidate_is_still_found() -> None:
    # `openai/sora` is known but is not the whole token; `sora-2` after the `/` is.
    assert ids("openai/sora-2", known=["openai/sora", "sora-2"]) == [("openai/sora-2", "sora-2")]
    assert ids("openai/sora-2.5", known=["openai/sora", "sora-2"]) == []


def test_hits_carry_line_column_and_text() -> None:
    data = "first line\n  x = 'é sora-2'  \nsora-2\n".encode()
    hits = Scanner(["sora-2"]).scan(data)
    assert [(h.line, h.column, h.text) for h in hits] == [(2, 10, "x = 'é sora-2'"), (3, 1, "sora-2")]


@pytest.mark.parametrize(("text", "expected"), [
    ("client.videos.create(model=m)", ["videos.create"]),
    ("client.videos.createAndPoll(model=m)", ["videos.createAndPoll"]),
    ("openai.videos.create(...)", ["openai.videos"]),
    ("job.videos.created_at", []),
    ("post('/videos')", ["/videos"]),
    ("https://api.openai.com/v1/videos/abc", ["/videos"]),
    ("/videos-archive", []),
    ("/videos_legacy", []),
    ('if type == "video.completed": ...', ["video.completed"]),
    ("video.completed_at", []),
    ("myvideo.failed", []),
    ("video.failed and video.failed", ["video.failed", "video.failed"]),
])
def test_product_patterns_are_literal_with_identifier_edges(text: str, expected: list[str]) -> None:
    hits = Scanner([], {"Videos API": VIDEOS_PATTERNS}).scan(text.encode())
    assert [h.written for h in hits] == expected
    assert {h.target for h in hits} <= {"Videos API"}


def test_discover_respects_gitignore_and_skips_foreign_folders(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    found = sorted(c.display for c in discover([repo], base=repo))
    assert found == [".env.example", ".gitignore", "app/.gitignore", "app/video.py", "assets/blob.dat",
                     "config/settings.yaml", "docs/notes.md", "logs/.gitignore", "logs/keep.log",
                     "web/webhooks.ts"]
    # A subdirectory inherits the ignore rules above it.
    assert [c.display for c in discover([repo / "logs"], base=repo)] == ["logs/.gitignore", "logs/keep.log"]
    # Named explicitly, an ignored file is read; --exclude patterns always win.
    assert [c.display for c in discover([repo / "generated" / "bundle.js"], base=repo)] == ["generated/bundle.js"]
    narrowed = sorted(c.display for c in discover([repo], base=repo, exclude=["docs/", "*.ts"]))
    assert "docs/notes.md" not in narrowed and "web/webhooks.ts" not in narrowed and "app/video.py" in narrowed


def test_discover_follows_no_symbolic_link(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "linked").symlink_to(repo / "node_modules", target_is_directory=True)
    (repo / "app" / "alias.py").symlink_to(repo / "app" / "video.py")
    found = {c.display for c in discover([repo], base=repo)}
    assert not any(path.startswith("linked/") for path in found) and "app/alias.py" not in found


def test_discover_reads_git_info_exclude_from_the_repository_top(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / ".git" / "info").mkdir(parents=True)
    (repo / ".git" / "info" / "exclude").write_text("docs/\n", encoding="utf-8")
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    found = {c.display for c in discover([repo / "app", repo / "docs"], base=repo)}
    assert found == {"app/.gitignore", "app/video.py"}


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        list(discover([tmp_path / "nope"], base=tmp_path))


# --- what ids resolve to -------------------------------------------------------------------


def obs(model: str, **kw: object) -> Observation:
    return Observation(key=str(kw.pop("key", model)), provider="openai", model=model, **kw)  # type: ignore[arg-type]


ROWS = [
    Row("openai-deprecations", obs("gpt-4-0613", aliases=("gpt-4",), status=Status.DEPRECATED,
                                   shutdown_on=D(2026, 10, 23), announced_on=D(2026, 4, 1), replacement=("gpt-5.5",))),
    Row("openai-deprecations", obs("sora-2", status=Status.DEPRECATED, shutdown_on=D(2026, 9, 24),
                                   announced_on=D(2026, 3, 24), replacement=NO_REPLACEMENT)),
    Row("openai-deprecations", obs("Videos API", key="videos", is_model=False, status=Status.DEPRECATED,
                                   shutdown_on=D(2026, 9, 24), announced_on=D(2026, 3, 24),
                                   replacement=NO_REPLACEMENT)),
    Row("catalog", obs("sora-2", key="c1", source_id="openai/sora-2", shutdown_on=D(2026, 10, 1))),
    Row("catalog", obs("sora-2", key="c2", source_id="azure/sora-2", distribution="azure",
                       shutdown_on=D(2027, 1, 15))),
    Row("catalog", obs("gpt-4o-mini", key="c3", status=Status.ACTIVE)),
    Row("catalog", obs("o1-preview", key="c0", status=Status.ACTIVE)),
    Row("catalog", obs("o1-preview", key="c4", status=Status.DEPRECATED)),
    Row("openai-pricing", obs("gpt-4", key="p1", status=Status.LEGACY)),
]


def test_ids_resolve_to_their_row_and_count_down_to_the_providers_date() -> None:
    index = build_index(ROWS, D(2026, 8, 25), official_sources=OFFICIAL, products=["Videos API"])
    assert set(index.models) == {"gpt-4-0613", "gpt-4", "sora-2", "openai/sora-2", "azure/sora-2", "o1-preview"}
    sora = index.models["sora-2"]
    assert (sora.name, sora.shutdown_on, sora.shutdown_source, sora.replacement) == \
        ("openai/sora-2", D(2026, 9, 24), "openai-deprecations", "---")
    assert sora.notes == ("catalog says openai/sora-2 shuts down 2026-10-01; openai says 2026-09-24",)
    assert index.models["openai/sora-2"] is sora
    azure = index.models["azure/sora-2"]
    assert (azure.name, azure.shutdown_on, azure.notes) == \
        ("openai/sora-2 via azure", D(2027, 1, 15), ("openai's own API shuts it down 2026-09-24",))
    # `gpt-4` is a model row of its own (pricing, legacy) and an alias: its own row wins,
    # and the deprecations page's date reaches it through the alias.
    gpt4 = index.models["gpt-4"]
    assert (gpt4.model, gpt4.status, gpt4.shutdown_on) == ("gpt-4", "deprecated", D(2026, 10, 23))
    assert gpt4.notes == ("gpt-4 points to gpt-4-0613",)
    undated = index.models["o1-preview"]
    assert (undated.status, undated.shutdown_on, undated.doomed) == ("deprecated", None, True)
    videos = index.products["Videos API"]
    assert (videos.name, videos.shutdown_on, videos.replacement) == ("openai/Videos API", D(2026, 9, 24), "---")
    everything = build_index(ROWS, D(2026, 8, 25), official_sources=OFFICIAL, include_all=True)
    assert "gpt-4o-mini" in everything.models and not everything.models["gpt-4o-mini"].doomed
    assert everything.missing_products == ()
    assert build_index(ROWS, D(2026, 8, 25), official_sources=OFFICIAL, products=["Nope API"]).missing_products == \
        ("Nope API",)


def test_levels_follow_the_window_and_past_shutdowns_are_errors() -> None:
    index = build_index(ROWS, D(2026, 8, 25), official_sources=OFFICIAL, include_all=True)
    hits = [("a.py", h) for h in Scanner(index.models).scan(b"sora-2 gpt-4 o1-preview gpt-4o-mini")]

    def levels(today: dt.date, window: int) -> list[tuple[str, int | None, Level]]:
        return [(f.hit.written, f.days_left, f.level) for f in judge(hits, index, today, fail_within_days=window)]

    assert levels(D(2026, 8, 25), 30) == [("sora-2", 30, Level.ERROR), ("gpt-4", 59, Level.WARNING),
                                          ("o1-preview", None, Level.WARNING), ("gpt-4o-mini", None, Level.NOTE)]
    assert levels(D(2026, 8, 26), 0)[0] == ("sora-2", 29, Level.WARNING)
    assert levels(D(2026, 9, 25), 0)[0] == ("sora-2", -1, Level.ERROR)
    findings = judge(hits, index, D(2026, 8, 25), fail_within_days=30)
    assert [f.hit.written for f in failing(findings, Level.ERROR)] == ["sora-2"]
    assert len(failing(findings, Level.WARNING)) == 3 and len(failing(findings, Level.NOTE)) == 4


def test_fingerprints_survive_moves_not_edits() -> None:
    index = build_index(ROWS, D(2026, 8, 25), official_sources=OFFICIAL)
    scanner = Scanner(index.models)

    def prints(path: str, text: str) -> list[str]:
        hits = [(path, h) for h in scanner.scan(text.encode())]
        return [f.fingerprint for f in judge(hits, index, D(2026, 8, 25), fail_within_days=30)]

    original = prints("a.py", 'M = "sora-2"\nN = "sora-2"\n')
    assert len(set(original)) == 2
    assert prints("a.py", '# header\n\nM  =  "sora-2"\nN = "sora-2"\n') == original  # moved, re-spaced
    assert prints("a.py", 'M = "sora-2"  # todo\nN = "sora-2"\n')[0] != original[0]  # edited
    assert prints("b.py", 'M = "sora-2"\nN = "sora-2"\n') != original
    twice = prints("a.py", 'M = "sora-2"\nM = "sora-2"\n')
    assert len(set(twice)) == 2  # the same line twice: two findings


def test_baseline_round_trip_and_an_earlier_date_reopens(tmp_path: Path) -> None:
    index = build_index(ROWS, D(2026, 8, 25), official_sources=OFFICIAL)
    hits = [("a.py", h) for h in Scanner(index.models).scan(b"sora-2 o1-preview")]
    findings = judge(hits, index, D(2026, 8, 25), fail_within_days=30)
    path = tmp_path / "baseline.json"
    import json

    path.write_text(json.dumps(baseline_document(findings)), encoding="utf-8")
    accepted = read_baseline(path)
    assert [f.baselined for f in apply_baseline(findings, accepted)] == [True, True]
    assert failing(apply_baseline(findings, accepted), Level.NOTE) == []
    later = {fp: D(2026, 12, 31) for fp in accepted}
    assert [f.baselined for f in apply_baseline(findings, later)] == [False, True]
    # An accepted undated finding that gets a date is news too.
    undated = dict.fromkeys(accepted)
    assert [f.baselined for f in apply_baseline(findings, undated)] == [False, True]
    earlier = dataclasses.replace(findings[0], lifecycle=dataclasses.replace(findings[0].lifecycle,
                                                                             shutdown_on=D(2026, 12, 31)))
    assert apply_baseline([earlier], accepted)[0].baselined  # a later date is still accepted

    for text, words in (("[]", "not a baseline"), ('{"version": 1, "accepted": [{}]}', r"accepted\[0\]: needs"),
                        ('{"version": 1, "accepted": [{"fingerprint": "x", "shutdown_on": "soon"}]}', "YYYY-MM-DD")):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(BaselineError, match=words):
            read_baseline(path)


# --- the [audit] config ------------------------------------------------------------------


def test_audit_config_is_validated_like_the_rest() -> None:
    settings = parse({"audit": {"fail_within": "14d", "fail_on": "warning", "exclude": ["docs/"],
                                "baseline": "audit-baseline.json",
                                "patterns": {"Videos API": VIDEOS_PATTERNS}}}, path=None).audit
    assert settings.fail_within == dt.timedelta(days=14) and settings.fail_on == "warning"
    assert settings.exclude == ("docs/",) and settings.baseline == "audit-baseline.json"
    assert settings.patterns == {"Videos API": tuple(VIDEOS_PATTERNS)}
    assert parse({}, path=None).audit.fail_within == dt.timedelta(days=30)
    for raw, words in (
        ({"fail_within": "soon"}, "audit.fail_within"),
        ({"fail_on": "fatal"}, "audit.fail_on"),
        ({"failon": "error"}, "audit.failon: unknown key"),
        ({"exclude": "docs/"}, "audit.exclude"),
        ({"patterns": {"Videos API": "/videos"}}, "audit.patterns.Videos API"),
        ({"patterns": {"Videos API": []}}, "audit.patterns.Videos API"),
        ({"patterns": "x"}, "audit.patterns: must be a table"),
    ):
        with pytest.raises(ConfigError, match=words):
            parse({"audit": raw}, path=None)


def test_shipped_config_attaches_the_videos_api_patterns() -> None:
    from watcher.config import load

    shipped = load(Path(__file__).resolve().parent.parent / "config.toml", environ={})
    assert shipped.audit.patterns == {"Videos API": tuple(VIDEOS_PATTERNS)}


def test_reading_uses_the_success_outcomes_of_polls() -> None:
    from watcher.store import audit, polls

    assert audit.SUCCESS_OUTCOMES is polls.SUCCESS_OUTCOMES  # stated once, in store/outcomes.py


def test_scan_tree_passes_over_binary_files(tmp_path: Path) -> None:
    from watcher.audit.tree import scan_tree

    repo = make_repo(tmp_path / "repo")
    scanned = scan_tree([repo], Scanner(["sora-2", "sora-2-pro"]), base=repo)
    assert (scanned.files, scanned.skipped) == (9, 1)  # assets/blob.dat holds a NUL: binary
    assert {path for path, _ in scanned.hits} == {".env.example", "app/video.py", "config/settings.yaml",
                                                  "logs/keep.log"}


def test_invalid_utf8_around_an_id_is_replaced_not_fatal() -> None:
    (hit,) = Scanner(["sora-2"]).scan(b"x = '\xff\xfe' + \"sora-2\"\n")
    assert (hit.line, hit.column, hit.written) == (1, 13, "sora-2")
    assert hit.text == "x = '\ufffd\ufffd' + \"sora-2\""


def test_messages_text_lines_and_the_json_report_say_what_when_and_instead() -> None:
    from watcher.audit.findings import report_document, text_line

    index = build_index(ROWS, D(2026, 9, 30), official_sources=OFFICIAL)
    hits = [("a.py", h) for h in Scanner(index.models).scan(b"sora-2\ngpt-4-0613\no1-preview\n")]
    sora, gpt4, undated = judge(hits, index, D(2026, 9, 30), fail_within_days=30)
    assert text_line(sora) == (
        "a.py:1:1: error: sora-2 (openai/sora-2) was shut down on 2026-09-24 (6 days ago, per "
        "openai-deprecations); no replacement [catalog says openai/sora-2 shuts down 2026-10-01; openai says "
        "2026-09-24; catalog still lists openai/sora-2 after shutdown 2026-09-24]")
    assert text_line(gpt4) == ("a.py:2:1: error: gpt-4-0613 (openai/gpt-4-0613) shuts down on 2026-10-23 "
                               "(23 days left, per openai-deprecations); replacement: gpt-5.5")
    assert text_line(dataclasses.replace(undated, baselined=True)) == \
        "a.py:3:1: warning (accepted in the baseline): o1-preview (openai/o1-preview) is deprecated"
    document = report_document([sora, gpt4, dataclasses.replace(undated, baselined=True)], today=D(2026, 9, 30),
                               as_of=dt.datetime(2026, 9, 29, 6, tzinfo=dt.UTC), fail_within_days=30,
                               fail_on=Level.WARNING, files=1)
    assert {k: v for k, v in document.items() if k != "findings"} == {
        "today": "2026-09-30", "data_as_of": "2026-09-29T06:00:00Z", "fail_within_days": 30, "fail_on": "warning",
        "files": 1, "failing": 2}
    assert [f["baselined"] for f in document["findings"]] == [False, False, True]
