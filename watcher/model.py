"""The shared vocabulary: what a source fetched, what it says, and what changed.

Everything here is plain, immutable data. Sources produce `Observation`s from a
`Document`; the diff turns two sets of observations into `Change`s. Values are
normalised where they are parsed, so that comparing two observations only ever
compares meaning (docs/architecture.md, "The source contract").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Final


class Status(StrEnum):
    ACTIVE = "active"
    PREVIEW = "preview"
    LEGACY = "legacy"
    DEPRECATED = "deprecated"
    RETIRED = "retired"


class ChangeKind(StrEnum):
    LISTED = "listed"
    DELISTED = "delisted"
    STATUS = "status"
    SHUTDOWN_DATE = "shutdown_date"
    ANNOUNCED_DATE = "announced_date"
    REPLACEMENT = "replacement"
    PRICE = "price"
    AVAILABILITY = "availability"
    ALIASES = "aliases"
    MILESTONES = "milestones"
    DEADLINE = "deadline"
    DISAGREEMENT = "disagreement"
    SOURCE_HEALTH = "source_health"


@dataclasses.dataclass(frozen=True, slots=True)
class KindText:
    """How a change kind reads, and whether it is a lifecycle change."""

    plural: str  # a poll's summary counts changes by it: "2 shutdown dates changed"
    # A lifecycle change: warning by default, critical near a shutdown (severity.py).
    lifecycle: bool


# Every change kind, once: its text form is its value; this says the rest.
KINDS: Final[Mapping[ChangeKind, KindText]] = {
    ChangeKind.LISTED: KindText("rows", lifecycle=False),
    ChangeKind.DELISTED: KindText("rows", lifecycle=True),
    ChangeKind.STATUS: KindText("statuses", lifecycle=True),
    ChangeKind.SHUTDOWN_DATE: KindText("shutdown dates", lifecycle=True),
    ChangeKind.ANNOUNCED_DATE: KindText("announced dates", lifecycle=True),
    ChangeKind.REPLACEMENT: KindText("replacements", lifecycle=True),
    ChangeKind.PRICE: KindText("prices", lifecycle=False),
    ChangeKind.AVAILABILITY: KindText("availabilities", lifecycle=True),
    ChangeKind.ALIASES: KindText("aliases", lifecycle=False),
    ChangeKind.MILESTONES: KindText("milestones", lifecycle=True),
    ChangeKind.DEADLINE: KindText("deadline", lifecycle=True),
    ChangeKind.DISAGREEMENT: KindText("disagreement", lifecycle=True),
    ChangeKind.SOURCE_HEALTH: KindText("source_health", lifecycle=True),
}
# The text forms a stored change's kind may take: the CLI's `--kind` choices.
KIND_NAMES: Final = tuple(kind.value for kind in ChangeKind)


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK: Final = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
SEVERITY_NAMES: Final = tuple(severity.value for severity in Severity)


class PriceUnit(StrEnum):
    PER_1M_TOKENS = "per_1m_tokens"
    PER_SECOND = "per_second"
    PER_IMAGE = "per_image"
    PER_REQUEST = "per_request"
    # A price we do not interpret: the catalog's own field name is the component
    # (`google_maps_grounding_cost_per_query`), the number is kept exactly as the
    # catalog states it, in the unit that name says. So a catalog's new kind of
    # price is watched from the day it appears, without a release of ours.
    AS_STATED = "as_stated"


# The source says explicitly that there is no replacement (OpenAI's `---`).
# `None` means the source does not say; a non-empty tuple names the ids.
NO_REPLACEMENT: Final[tuple[str, ...]] = ()


class ParseError(Exception):
    """A fetched document could not be turned into observations; the message says why."""


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class PriceKey:
    """What a price is for: the component billed, its unit, the tier and the variant."""

    component: str  # input, output, cached_input, cache_write, image, video, request, ...
    unit: PriceUnit = PriceUnit.PER_1M_TOKENS
    tier: str = "standard"  # standard, batch, flex, priority; "" for AS_STATED (the name says it)
    variant: str = ""  # resolution, context band, ...

    def __str__(self) -> str:
        parts = [self.component, self.unit.value, self.tier]
        if self.variant:
            parts.append(self.variant)
        return "/".join(parts)

    @classmethod
    def as_stated(cls, name: str, variant: str = "") -> PriceKey:
        """A price under the source's own name (see `PriceUnit.AS_STATED`)."""
        return cls(name, PriceUnit.AS_STATED, "", variant)

    @classmethod
    def parse(cls, text: str) -> PriceKey:
        parts = text.split("/", 3)
        if len(parts) < 3:
            raise ValueError(f"not a price key: {text!r}")
        variant = parts[3] if len(parts) == 4 else ""
        return cls(parts[0], PriceUnit(parts[1]), parts[2], variant)


@dataclasses.dataclass(frozen=True, slots=True)
class Document:
    """One fetched (or archived) body, with what we know of how it was fetched."""

    source: str
    url: str
    body: bytes
    fetched_at: dt.datetime  # UTC, timezone-aware
    content_type: str = ""
    http_status: int = 200
    etag: str | None = None
    last_modified: str | None = None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclasses.dataclass(frozen=True, slots=True)
class Observation:
    """One source's statement about one row (usually one model) at one time.

    Fields listed in `COMPARED_FIELDS` are what the diff compares; the others
    (`url`, `section`, `is_model`) describe the row and travel with it.
    """

    key: str  # identity of the row within its source
    provider: str  # who makes/serves the model, canonical ("openai")
    model: str  # the id, canonical where identity resolution knows it
    source_id: str | None = None  # the id as this source spells it, when it differs
    # Who serves it when not the maker's own API ("azure", "bedrock", "openrouter"
    # for a gateway's own listing of a pass-through): disagreement checks compare
    # the provider's dates only with rows where this is None.
    distribution: str | None = None
    aliases: tuple[str, ...] = ()  # sorted, ids the source says point to this row
    status: Status | None = None
    announced_on: dt.date | None = None
    shutdown_on: dt.date | None = None
    # A qualifier when the source is vague: "earliest" ("at earliest 2024-06-13",
    # "May 7, 2027 or later", "No sooner than …"), "month" ("June 2026"),
    # "earliest-month" ("Earliest June 2026"), "tentative" (see sources.dates).
    shutdown_qualifier: str | None = None
    replacement: tuple[str, ...] | None = None  # None: not stated; NO_REPLACEMENT: none
    prices: Mapping[PriceKey, Decimal] = dataclasses.field(default_factory=dict)
    availability: str | None = None
    # Dated steps other than the shutdown, as the source words them, in page order:
    # "2026-10-31: Existing evals become read-only." (OpenAI's product timelines).
    milestones: tuple[str, ...] = ()
    is_model: bool = True  # False for rows such as "Videos API" or "/v1/edits"
    section: str | None = None  # human heading the row sits under
    url: str | None = None  # where a human can see this row

    def __post_init__(self) -> None:
        if list(self.aliases) != sorted(set(self.aliases)):
            object.__setattr__(self, "aliases", tuple(sorted(set(self.aliases))))


@dataclasses.dataclass(frozen=True, slots=True)
class Compared:
    """One fact the diff compares: the change kind it makes, the change's `field`, the
    `Observation` attributes it covers, and its text form in a change's old/new."""

    kind: ChangeKind
    field: str
    attributes: tuple[str, ...]
    # None for prices: they are compared one `PriceKey` at a time (field = the key's text).
    text: Callable[[Observation], str | None] | None


def shutdown_text(obs: Observation) -> str | None:
    """A row's shutdown as a change states it: the date, with its qualifier when vague."""
    if obs.shutdown_on is None:
        return None
    text = obs.shutdown_on.isoformat()
    return f"{text} ({obs.shutdown_qualifier})" if obs.shutdown_qualifier else text


# What the diff compares, in the order a row's changes are reported: the diff, the
# re-parse (`DIFF_KINDS`), the tests' row comparisons and the CLI's choices read this.
COMPARED: Final[tuple[Compared, ...]] = (
    Compared(ChangeKind.STATUS, "status", ("status",), lambda o: o.status.value if o.status else None),
    Compared(ChangeKind.SHUTDOWN_DATE, "shutdown_on", ("shutdown_on", "shutdown_qualifier"), shutdown_text),
    Compared(ChangeKind.ANNOUNCED_DATE, "announced_on", ("announced_on",),
             lambda o: o.announced_on.isoformat() if o.announced_on else None),
    Compared(ChangeKind.REPLACEMENT, "replacement", ("replacement",), lambda o: format_replacement(o.replacement)),
    Compared(ChangeKind.AVAILABILITY, "availability", ("availability",), lambda o: o.availability),
    Compared(ChangeKind.ALIASES, "aliases", ("aliases",), lambda o: ", ".join(o.aliases) or None),
    Compared(ChangeKind.MILESTONES, "milestones", ("milestones",), lambda o: "; ".join(o.milestones) or None),
    Compared(ChangeKind.PRICE, "prices", ("prices",), None),
)
COMPARED_FIELDS: Final = tuple(attribute for c in COMPARED for attribute in c.attributes)
# The kinds a diff of two parses makes: what a re-parse deletes and rebuilds. The
# others (deadline, disagreement, source_health) come from checks beside the diff.
DIFF_KINDS: Final = (ChangeKind.LISTED, ChangeKind.DELISTED, *(c.kind for c in COMPARED))
DIFF_KIND_NAMES: Final = tuple(kind.value for kind in DIFF_KINDS)
# A compared kind whose change's `field` is the kind's own attribute, not worth showing
# beside the kind ("shutdown_date" changes field "shutdown_on").
FIELD_OF_KIND: Final[Mapping[str, str]] = {c.kind.value: c.field for c in COMPARED}


@dataclasses.dataclass(frozen=True, slots=True)
class SourceRow:
    """One current row of one source: what the store reads back for the checks above it."""

    source: str
    obs: Observation


@dataclasses.dataclass(frozen=True, slots=True)
class Change:
    """One detected change of one field of one row (or of a source's health)."""

    source: str
    key: str
    provider: str | None
    model: str | None
    kind: ChangeKind
    field: str | None
    old: str | None
    new: str | None
    severity: Severity = Severity.INFO
    note: str | None = None  # e.g. "x3.4; suspect: more than 3x", "3 consecutive failed polls"


def format_replacement(value: tuple[str, ...] | None) -> str | None:
    """Text form of a replacement, as stored and shown: `---` means explicitly none."""
    if value is None:
        return None
    if value == NO_REPLACEMENT:
        return "---"
    return ", ".join(value)


def format_milestones(value: tuple[str, ...]) -> str | None:
    """Stored text of milestones: one per line (a milestone's own text never holds a line end)."""
    return "\n".join(value) or None


def parse_milestones(text: str | None) -> tuple[str, ...]:
    return tuple(text.split("\n")) if text else ()


def parse_replacement(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    if text == "---":
        return NO_REPLACEMENT
    return tuple(part.strip() for part in text.split(", "))
