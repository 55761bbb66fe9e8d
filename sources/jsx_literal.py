"""Reading the literal props of JSX-like components in MDX text (OpenAI's `.md` twins).

Only data literals are understood: strings (three quote styles), numbers,
`null`/`true`/`false`/`undefined`, arrays, objects and plain function calls such
as `pricingHtml("…")`. Anything else (arrow functions, spreads, operators) is a
`JsxSyntaxError`: props we cannot read must fail loudly, not be guessed at.
Numbers come back as `Decimal` parsed from their text, so no float noise.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Final, TypeAlias


class JsxSyntaxError(ValueError):
    """The text is not a data literal we understand; the message says where."""


@dataclasses.dataclass(frozen=True, slots=True)
class JsCall:
    """`name(args…)`: kept as a call so callers decide what a helper like pricingHtml means."""

    name: str
    args: tuple[JsValue, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class JsUndefined:
    pass


UNDEFINED: Final = JsUndefined()

JsValue: TypeAlias = (
    "str | Decimal | bool | list[JsValue] | dict[str, JsValue] | JsCall | JsUndefined | None"
)

_NUMBER: Final = re.compile(r"-?(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?")
_IDENT: Final = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")
_ATTR_NAME: Final = re.compile(r"[A-Za-z_:][\w:.-]*")
_KEYWORDS: Final[Mapping[str, JsValue]] = {
    "null": None,
    "true": True,
    "false": False,
    "undefined": UNDEFINED,
}
_ESCAPES: Final = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


@dataclasses.dataclass(frozen=True, slots=True)
class Component:
    """One `<Name attr=… />` element: its attributes and where it ends in the text."""

    name: str
    start: int
    end: int
    attrs: Mapping[str, JsValue]


class _Reader:
    def __init__(self, text: str, pos: int) -> None:
        self.text = text
        self.pos = pos

    def fail(self, what: str) -> JsxSyntaxError:
        line = self.text.count("\n", 0, self.pos) + 1
        snippet = self.text[self.pos : self.pos + 30].replace("\n", " ")
        return JsxSyntaxError(f"{what} at line {line}: {snippet!r}")

    def skip_space(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text):
            if text[pos].isspace():
                pos += 1
            elif text.startswith("//", pos):
                end = text.find("\n", pos)
                pos = len(text) if end < 0 else end
            elif text.startswith("/*", pos):
                end = text.find("*/", pos + 2)
                if end < 0:
                    raise self.fail("unterminated comment")
                pos = end + 2
            else:
                break
        self.pos = pos

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        self.skip_space()
        if self.peek() != char:
            raise self.fail(f"expected {char!r}")
        self.pos += 1

    def value(self) -> JsValue:
        self.skip_space()
        char = self.peek()
        if char in "\"'`":
            return self.string()
        if char == "[":
            return self.array()
        if char == "{":
            return self.object()
        number = _NUMBER.match(self.text, self.pos)
        if number and number.group():
            self.pos = number.end()
            return Decimal(number.group().replace("_", ""))
        ident = _IDENT.match(self.text, self.pos)
        if ident:
            self.pos = ident.end()
            name = ident.group()
            if name in _KEYWORDS:
                return _KEYWORDS[name]
            self.skip_space()
            if self.peek() == "(":
                return JsCall(name, tuple(self.sequence("(", ")")))
            raise self.fail(f"bare identifier {name!r}")
        raise self.fail("expected a value")

    def string(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        out: list[str] = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == quote:
                self.pos += 1
                return "".join(out)
            if char == "\\":
                nxt = text[self.pos + 1 : self.pos + 2]
                if nxt == "u" and text[self.pos + 2 : self.pos + 3] != "{":
                    out.append(chr(int(text[self.pos + 2 : self.pos + 6], 16)))
                    self.pos += 6
                    continue
                out.append(_ESCAPES.get(nxt, nxt))
                self.pos += 2
                continue
            if quote == "`" and text.startswith("${", self.pos):
                raise self.fail("template substitution")
            out.append(char)
            self.pos += 1
        raise self.fail("unterminated string")

    def sequence(self, open_: str, close: str) -> list[JsValue]:
        self.expect(open_)
        items: list[JsValue] = []
        while True:
            self.skip_space()
            if self.peek() == close:
                self.pos += 1
                return items
            items.append(self.value())
            self.skip_space()
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != close:
                raise self.fail(f"expected ',' or {close!r}")

    def array(self) -> list[JsValue]:
        return self.sequence("[", "]")

    def object(self) -> dict[str, JsValue]:
        self.expect("{")
        out: dict[str, JsValue] = {}
        while True:
            self.skip_space()
            if self.peek() == "}":
                self.pos += 1
                return out
            if self.peek() in "\"'":
                key = self.string()
            else:
                ident = _IDENT.match(self.text, self.pos)
                if not ident:
                    raise self.fail("expected a property name")
                key = ident.group()
                self.pos = ident.end()
            self.expect(":")
            out[key] = self.value()
            self.skip_space()
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "}":
                raise self.fail("expected ',' or '}'")


def parse_literal(text: str) -> JsValue:
    """One whole literal, e.g. `[["gpt-4o", 2.5, 1.25, 10]]`."""
    reader = _Reader(text, 0)
    value = reader.value()
    reader.skip_space()
    if reader.pos != len(text):
        raise reader.fail("trailing text")
    return value


def find_components(text: str, name: str) -> list[Component]:
    """Every `<name …/>` in `text`, attributes read as literals (`{…}` expressions included)."""
    found: list[Component] = []
    for match in re.finditer(rf"<{re.escape(name)}(?![\w-])", text):
        found.append(_component(text, name, match.start(), match.end()))
    return found


def _component(text: str, name: str, start: int, pos: int) -> Component:
    reader = _Reader(text, pos)
    attrs: dict[str, JsValue] = {}
    while True:
        reader.skip_space()
        if text.startswith("/>", reader.pos):
            return Component(name, start, reader.pos + 2, attrs)
        if reader.peek() == ">":
            # A component with children: its props are all we read, children are prose.
            close = text.find(f"</{name}>", reader.pos)
            end = len(text) if close < 0 else close + len(name) + 3
            return Component(name, start, end, attrs)
        attr = _ATTR_NAME.match(text, reader.pos)
        if not attr:
            raise reader.fail(f"malformed <{name}> attribute")
        reader.pos = attr.end()
        reader.skip_space()
        if reader.peek() != "=":
            attrs[attr.group()] = True
            continue
        reader.pos += 1
        reader.skip_space()
        if reader.peek() in "\"'":
            attrs[attr.group()] = reader.string()
        elif reader.peek() == "{":
            reader.pos += 1
            attrs[attr.group()] = reader.value()
            reader.expect("}")
        else:
            raise reader.fail(f"malformed value of {attr.group()!r}")
