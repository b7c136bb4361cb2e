"""Protobuf text format to a located tree.

protobuf's own `text_format` keeps no positions, so protolint tokenises and parses the
text itself. The tree is schema-free: it records what the file says and where (every
field name and value as character offsets, every comment), and `messages.py` turns it
into real `caffe_pb2` messages. Offsets become line:column only when a finding is
reported (`LineIndex`), which is what keeps locating cheap.

The grammar is the one Caffe's C++ parser accepts: `name: value`, `name { ... }`,
`name < ... >`, `name: { ... }`, list values `name: [a, b]` and `name [{...}, {...}]`,
optional `,`/`;` after a field, `#` comments, adjacent string literals concatenated.
"""

from __future__ import annotations

import re
from bisect import bisect_right

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\n\r\v\f]+)
  | (?P<comment>\#[^\n]*)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>0[xX][0-9A-Fa-f]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fF]?)
  | (?P<string>"(?:[^"\\\n]|\\[^\n])*"|'(?:[^'\\\n]|\\[^\n])*')
  | (?P<open_string>["'][^\n]*)
  | (?P<symbol>[{}<>:,;\[\]\-])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

# Token kinds: the symbol itself for punctuation, else one of these letters.
IDENT, NUMBER, STRING, END = "i", "n", "s", "$"
MESSAGE = "m"  # a Field whose value is a Message


class ParseError(Exception):
    """A syntax error at a character offset."""

    def __init__(self, message: str, start: int, end: int | None = None):
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = start + 1 if end is None else end


class Message:
    """A `{ ... }` block (or the whole file): its fields in file order."""

    __slots__ = ("fields", "start", "end")

    def __init__(self, start: int, end: int = -1):
        self.fields: list[Field] = []
        self.start = start
        self.end = end

    def all(self, name: str) -> list[Field]:
        return [f for f in self.fields if f.name == name]

    def first(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def messages(self, name: str) -> list[Message]:
        """The message values of every `name { ... }` field, in order."""
        return [f.value for f in self.fields if f.name == name and f.kind == MESSAGE]

    def find(self, path: str, index: int = 0) -> Field | None:
        """The field at a dotted path (`pooling_param.stride`); `index` picks among the
        repeated occurrences of the first component (`param.lr_mult`, 2: the third
        `param` block's lr_mult). None when absent."""
        first, *rest = path.split(".")
        found = self.all(first)
        if index >= len(found):
            return None
        field = found[index]
        for part in rest:
            if field.kind != MESSAGE:
                return None
            field = field.value.first(part)
            if field is None:
                return None
        return field


class Field:
    """One `name: value` or `name { ... }`.

    `start` is the offset of the name; `vstart`/`vend` the value's span (for a message
    the braces included). `kind` is MESSAGE, IDENT, NUMBER or STRING; `value` is the
    Message, or the token text (a number keeps its leading '-', an identifier may be
    '-inf'), or for strings the list of quoted literals as written. `list_start` is the
    offset of `[` when the value came from list syntax, else -1.
    """

    __slots__ = ("name", "start", "vstart", "vend", "kind", "value", "list_start")

    def __init__(self, name, start, vstart, vend, kind, value, list_start=-1):
        self.name = name
        self.start = start
        self.vstart = vstart
        self.vend = vend
        self.kind = kind
        self.value = value
        self.list_start = list_start

    @property
    def name_end(self) -> int:
        return self.start + len(self.name)


class Tree:
    """A parsed file: the root message and every comment as (offset, text)."""

    __slots__ = ("root", "comments")

    def __init__(self, root: Message, comments: list[tuple[int, str]]):
        self.root = root
        self.comments = comments


class LineIndex:
    """Offsets to 1-based (line, column), columns counted in characters."""

    def __init__(self, text: str):
        self.text = text
        self._starts = [0]
        self._starts.extend(m.end() for m in re.finditer("\n", text))

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1

    def line_text(self, line: int) -> str:
        start = self._starts[line - 1]
        end = self._starts[line] - 1 if line < len(self._starts) else len(self.text)
        return self.text[start:end].rstrip("\r")

    @property
    def line_count(self) -> int:
        return len(self._starts)


def tokenize(text: str) -> tuple[list[tuple[str, str, int]], list[tuple[int, str]]]:
    """(kind, text, offset) tokens ending with an END token, and the comments."""
    tokens: list[tuple[str, str, int]] = []
    comments: list[tuple[int, str]] = []
    add = tokens.append
    for m in _TOKEN.finditer(text):
        group = m.lastgroup
        if group == "ws":
            continue
        start = m.start()
        if group == "ident":
            add((IDENT, m.group(), start))
        elif group == "symbol":
            s = m.group()
            add((s, s, start))
        elif group == "number":
            _check_number(text, m)
            add((NUMBER, m.group(), start))
        elif group == "string":
            if "\\" in m.group():
                _check_escapes(m)
            add((STRING, m.group(), start))
        elif group == "comment":
            comments.append((start, m.group()))
        elif group == "open_string":
            raise ParseError("string literal is not closed on this line", start, m.end())
        elif m.group() == "\ufeff":
            raise ParseError("a byte-order mark (U+FEFF), which protobuf's text parser does "
                             "not accept: save the file as UTF-8 without BOM", start)
        else:
            raise ParseError(f"unexpected character {m.group()!r}", start)
    add((END, "", len(text)))
    return tokens, comments


def _check_number(text: str, m: re.Match) -> None:
    """The number rules of protobuf's tokenizer (io/tokenizer.cc ConsumeNumber), which
    Caffe's parser applies and the pattern above does not: a leading zero means octal,
    octal and hex are integers, and a letter may not follow a number directly."""
    number, end = m.group(), m.end()
    if len(number) > 1 and number[0] == "0" and number[1].isdigit():
        digits = len(number) - len(number.lstrip("01234567"))
        if number[digits:digits + 1].isdigit():
            raise ParseError("a number starting with 0 is octal, and 8 and 9 are not octal "
                             "digits (protobuf: Numbers starting with leading zero must be "
                             "in octal)", m.start() + digits)
        if digits < len(number) and number[digits] in ".eE":
            raise ParseError("a number starting with 0 is octal, and octal numbers are "
                             "integers (protobuf: Hex and octal numbers must be integers)",
                             m.start() + digits)
    following = text[end:end + 1]
    if following == "_" or following.isascii() and following.isalpha():
        raise ParseError("a letter directly after a number (protobuf: Need space between "
                         "number and identifier)", end)
    if following == ".":
        raise ParseError("a second decimal point, or one after an exponent, hex or octal "
                         "number", end)


_ESCAPE = re.compile(r"\\(?:[abfnrtv\\?'\"]|[0-7]|x[0-9A-Fa-f]|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})")


def _check_escapes(m: re.Match) -> None:
    """Only C's escapes (and \\xHH, \\uHHHH, \\UHHHHHHHH) are valid in a protobuf string."""
    body = m.group()
    at = body.find("\\")
    while at >= 0:
        if not _ESCAPE.match(body, at):
            raise ParseError(f"invalid escape sequence {body[at:at + 2]!r} in a string "
                             "(protobuf: Invalid escape sequence in string literal)",
                             m.start() + at, m.start() + at + 2)
        at = body.find("\\", at + 2)


def _describe(token: tuple[str, str, int]) -> str:
    kind, text, _ = token
    return "end of file" if kind == END else repr(text)


# Deepest `{ ... }` nesting read. Caffe's files nest a handful of levels (a filler in a
# layer of a net inlined in a solver is four); the limit keeps a hostile file from
# exhausting Python's stack, which the recursive descent below would otherwise do.
MAX_DEPTH = 100


class _Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def error(self, message: str) -> ParseError:
        kind, text, start = self.tokens[self.pos]
        if kind == END and self.pos:  # point just past the last token, not at a blank line
            _, last, at = self.tokens[self.pos - 1]
            return ParseError(message, at + len(last))
        return ParseError(message, start, start + max(len(text), 1))

    def message_body(self, node: Message, closing: str) -> Message:
        tokens = self.tokens
        fields = node.fields
        while True:
            kind, name, start = tokens[self.pos]
            if kind == closing:
                node.end = start + len(name)
                self.pos += 1
                return node
            if kind != IDENT:
                if kind == END:
                    raise self.error(f"expected {closing!r} before the end of the file")
                raise self.error(f"expected a field name, found {_describe(tokens[self.pos])}")
            self.pos += 1
            kind = tokens[self.pos][0]
            colon = kind == ":"
            if colon:
                self.pos += 1
                kind = tokens[self.pos][0]
            if kind == "{" or kind == "<":
                fields.append(self.message_field(name, start))
            elif kind == "[":
                self.list_field(name, start, fields)
            elif not colon:
                raise self.error(f"expected ':' or '{{' after field name {name!r}, found "
                                 f"{_describe(tokens[self.pos])}")
            else:
                fields.append(self.scalar_field(name, start))
            kind = tokens[self.pos][0]
            if kind == "," or kind == ";":
                self.pos += 1

    def message_field(self, name: str, start: int, list_start: int = -1) -> Field:
        kind, _, vstart = self.tokens[self.pos]
        if self.depth == MAX_DEPTH:
            raise self.error(f"messages nested more than {MAX_DEPTH} levels deep: no Caffe "
                             "message nests that deep")
        self.pos += 1
        self.depth += 1
        body = self.message_body(Message(vstart), "}" if kind == "{" else ">")
        self.depth -= 1
        return Field(name, start, vstart, body.end, MESSAGE, body, list_start)

    def scalar_field(self, name: str, start: int, list_start: int = -1) -> Field:
        tokens = self.tokens
        kind, text, vstart = tokens[self.pos]
        if kind == "-":
            nkind, ntext, nstart = tokens[self.pos + 1]
            if nkind not in (NUMBER, IDENT):
                self.pos += 1
                raise self.error(f"expected a number after '-', found {_describe(tokens[self.pos])}")
            self.pos += 2
            return Field(name, start, vstart, nstart + len(ntext), nkind, "-" + ntext, list_start)
        if kind == NUMBER or kind == IDENT:
            self.pos += 1
            return Field(name, start, vstart, vstart + len(text), kind, text, list_start)
        if kind == STRING:
            parts = [text]
            self.pos += 1
            while tokens[self.pos][0] == STRING:
                parts.append(tokens[self.pos][1])
                self.pos += 1
            last = tokens[self.pos - 1]
            return Field(name, start, vstart, last[2] + len(last[1]), STRING, parts, list_start)
        raise self.error(f"expected a value for field {name!r}, found {_describe(tokens[self.pos])}")

    def list_field(self, name: str, start: int, fields: list[Field]) -> None:
        tokens = self.tokens
        list_start = tokens[self.pos][2]
        self.pos += 1
        if tokens[self.pos][0] == "]":
            self.pos += 1
            return
        while True:
            kind = tokens[self.pos][0]
            if kind == "{" or kind == "<":
                fields.append(self.message_field(name, start, list_start))
            else:
                fields.append(self.scalar_field(name, start, list_start))
            kind = tokens[self.pos][0]
            self.pos += 1
            if kind == "]":
                return
            if kind != ",":
                self.pos -= 1
                raise self.error(f"expected ',' or ']' in the list of {name!r}, found "
                                 f"{_describe(tokens[self.pos])}")


def parse(text: str) -> Tree:
    """Parse a whole file. Raises ParseError at the first syntax error."""
    tokens, comments = tokenize(text)
    root = _Parser(tokens).message_body(Message(0), END)
    root.end = len(text)
    return Tree(root, comments)
