"""Located tree to `caffe_pb2` messages, the way Caffe's parser reads the text.

What Caffe's parser would refuse (an unknown field, an unknown enum value, a value of
the wrong type, a non-repeated field given twice, list syntax on a non-repeated
field) becomes a `Problem` at that spot; the offending field is skipped and the rest
of the file is still read, so one fork-only field does not hide every other finding.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from google.protobuf.descriptor import FieldDescriptor

from protolint.floats import f32
from protolint.textformat import IDENT, MESSAGE, NUMBER, STRING, Field, Message

UNKNOWN_FIELD = "unknown-field"
UNKNOWN_ENUM = "unknown-enum-value"
BAD_VALUE = "invalid-value"
DUPLICATE = "duplicate-field"
MISSING = "missing-required-field"


@dataclass(frozen=True)
class Problem:
    kind: str  # one of the constants above
    message: str
    start: int
    end: int
    suggestions: tuple[str, ...] = ()


def _distance(a: str, b: str) -> int:
    """Edit distance counting a swap of neighbours as one edit: typos are one or two
    edits, names from Caffe forks are more."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def close_names(word: str, names) -> tuple[str, ...]:
    """Likely intended spellings of `word` among `names`: a case-insensitive match, else
    names within two edits (one for short words)."""
    names = list(names)
    exact = [n for n in names if n.lower() == word.lower()]
    if exact:
        return tuple(exact)
    limit = 1 if len(word) <= 5 else 2
    near = sorted((_distance(word, n), n) for n in names)
    return tuple(n for d, n in near if d <= limit)[:2]


_INT_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}
_FLOAT_TYPES = (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE)
_FLOAT_WORDS = {"inf": math.inf, "infinity": math.inf, "nan": math.nan}
_BOOL_WORDS = {"true": True, "True": True, "t": True, "false": False, "False": False, "f": False}


class _Invalid(Exception):
    """A value that does not fit its field; the message says why."""


def parse_int(text: str) -> int:
    """An integer token as protobuf reads it: decimal, 0x hex or leading-0 octal."""
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("-")
    if digits[:2] in ("0x", "0X"):
        return sign * int(digits[2:], 16)
    if len(digits) > 1 and digits[0] == "0":
        return sign * int(digits, 8)
    return sign * int(digits)


def _integer(field: Field, fd) -> int:
    text = field.value
    if field.kind != NUMBER:
        raise _Invalid(f"expected an integer for {fd.name!r}, found {_shown(field)}")
    try:
        value = parse_int(text)
    except ValueError:
        raise _Invalid(f"expected an integer for {fd.name!r}, found {text}") from None
    low, high = _INT_RANGES[fd.type]
    if not low <= value <= high:
        what = "a non-negative" if low == 0 else "an"
        raise _Invalid(f"{text} is out of range for {fd.name!r}: it takes {what} "
                       f"{_TYPE_NAMES[fd.type]} in [{low}, {high}]")
    return value


def _float(field: Field, fd) -> float:
    text = field.value
    if field.kind == IDENT:
        word = text.lstrip("-").lower()
        if word not in _FLOAT_WORDS:
            raise _Invalid(f"expected a number for {fd.name!r}, found {text}")
        value = _FLOAT_WORDS[word]
        return -value if text.startswith("-") else value
    if field.kind != NUMBER:
        raise _Invalid(f"expected a number for {fd.name!r}, found {_shown(field)}")
    try:
        if text.lstrip("-")[:2] in ("0x", "0X"):
            whole = parse_int(text)
            if abs(whole) > 2**64 - 1:  # protobuf reads a hex number as a uint64 first
                raise _Invalid(f"integer out of range for {fd.name!r}: {text[:40]}"
                               f"{'...' if len(text) > 40 else ''}")
            value = float(whole)
        else:
            value = float(text.rstrip("fF"))
    except ValueError:
        raise _Invalid(f"expected a number for {fd.name!r}, found {text}") from None
    if fd.type == FieldDescriptor.TYPE_FLOAT:
        value = f32(value)  # a literal beyond float range is +-inf, as C++'s cast makes it
    return value


def _bool(field: Field, fd) -> bool:
    if field.kind == IDENT and field.value in _BOOL_WORDS:
        return _BOOL_WORDS[field.value]
    if field.kind == NUMBER and field.value in ("0", "1"):
        return field.value == "1"
    raise _Invalid(f"expected true or false for {fd.name!r}, found {_shown(field)}")


_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92,
                   "?": 63, "'": 39, '"': 34}
_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|u([0-9A-Fa-f]{4})|"
                     r"U([0-9A-Fa-f]{8})|(.))", re.S)


def _unescape(m: re.Match) -> bytes:
    octal, hexa, short, long, simple = m.groups()
    if octal or hexa:
        return bytes([int(octal, 8) & 0xFF if octal else int(hexa, 16)])
    if short or long:
        return chr(min(int(short or long, 16), 0x10FFFF)).encode("utf-8", "surrogatepass")
    if simple in _SIMPLE_ESCAPES:
        return bytes([_SIMPLE_ESCAPES[simple]])
    raise ValueError(f"invalid escape sequence \\{simple}")


def unquote(parts: list[str]) -> bytes:
    """The bytes of adjacent string literals, with the C escapes protobuf's text format
    knows resolved (octal, \\xHH, \\uHHHH and \\UHHHHHHHH as UTF-8)."""
    out = bytearray()
    for part in parts:
        body = part[1:-1]
        if "\\" not in body:
            out += body.encode("utf-8")
            continue
        at = 0
        for m in _ESCAPE.finditer(body):
            out += body[at:m.start()].encode("utf-8") + _unescape(m)
            at = m.end()
        out += body[at:].encode("utf-8")
    return bytes(out)


def text_of(field: Field) -> str | None:
    """The text of a string-valued field, or None when it is not a valid string."""
    if field.kind != STRING:
        return None
    try:
        return unquote(field.value).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


def _string(field: Field, fd) -> str:
    if field.kind != STRING:
        raise _Invalid(f"expected a quoted string for {fd.name!r}, found {_shown(field)}")
    try:
        return unquote(field.value).decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Invalid(f"invalid string for {fd.name!r}: {exc}") from None


def _bytes(field: Field, fd) -> bytes:
    if field.kind != STRING:
        raise _Invalid(f"expected a quoted string for {fd.name!r}, found {_shown(field)}")
    try:
        return unquote(field.value)
    except ValueError as exc:
        raise _Invalid(f"invalid string for {fd.name!r}: {exc}") from None


def _shown(field: Field) -> str:
    if field.kind == MESSAGE:
        return "a { ... } block"
    if field.kind == STRING:
        return " ".join(field.value)
    return field.value


_TYPE_NAMES = {
    FieldDescriptor.TYPE_INT32: "int32", FieldDescriptor.TYPE_INT64: "int64",
    FieldDescriptor.TYPE_UINT32: "uint32", FieldDescriptor.TYPE_UINT64: "uint64",
    FieldDescriptor.TYPE_SINT32: "sint32", FieldDescriptor.TYPE_SINT64: "sint64",
    FieldDescriptor.TYPE_FIXED32: "fixed32", FieldDescriptor.TYPE_FIXED64: "fixed64",
    FieldDescriptor.TYPE_SFIXED32: "sfixed32", FieldDescriptor.TYPE_SFIXED64: "sfixed64",
}


def _converter(fd):
    t = fd.type
    if t in _INT_RANGES:
        return _integer
    if t in _FLOAT_TYPES:
        return _float
    if t == FieldDescriptor.TYPE_BOOL:
        return _bool
    if t == FieldDescriptor.TYPE_STRING:
        return _string
    if t == FieldDescriptor.TYPE_BYTES:
        return _bytes
    if t == FieldDescriptor.TYPE_ENUM:
        return None  # handled with the enum descriptor, see _enum
    raise NotImplementedError(fd.type)


def _enum(field: Field, fd) -> tuple[int | None, str | None]:
    """(number, None) or (None, problem kind) for an enum field."""
    values = fd.enum_type.values_by_name
    if field.kind == IDENT and field.value in values:
        return values[field.value].number, None
    if field.kind == NUMBER:
        try:
            number = parse_int(field.value)
        except ValueError:
            number = None
        # The range test comes first: protobuf's C++-backed values_by_number truncates
        # its key to int32, so 2**32 + 1 would otherwise be found as 1.
        if (number is not None and -(2**31) <= number < 2**31
                and number in fd.enum_type.values_by_number):
            return number, None
    return None, UNKNOWN_ENUM if field.kind in (IDENT, NUMBER) else BAD_VALUE


# Per message descriptor: field name -> (descriptor, repeated?, is message?, converter).
_PLANS: dict = {}
_REQUIRED: dict = {}


def _plan(descriptor):
    plan = _PLANS.get(descriptor)
    if plan is None:
        plan = {}
        for fd in descriptor.fields:
            repeated = fd.is_repeated
            is_message = fd.type in (FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_GROUP)
            plan[fd.name] = (fd, repeated, is_message, None if is_message else _converter(fd))
        _PLANS[descriptor] = plan
    return plan


def _required(descriptor) -> tuple[str, ...]:
    """The names of a message's `required` fields (ClipParameter's min and max)."""
    names = _REQUIRED.get(descriptor)
    if names is None:
        names = _REQUIRED[descriptor] = tuple(
            fd.name for fd in descriptor.fields
            if getattr(fd, "is_required", None) or getattr(fd, "label", 0) == fd.LABEL_REQUIRED)
    return names


def fill(node: Message, message) -> list[Problem]:
    """Set `message` from the located `node`; return what Caffe's parser would reject."""
    problems: list[Problem] = []
    _fill(node, message, problems)
    return problems


def _fill(node: Message, message, problems: list[Problem]) -> None:
    descriptor = message.DESCRIPTOR
    plan = _plan(descriptor)
    seen: set[str] = set()
    for field in node.fields:
        name = field.name
        entry = plan.get(name)
        if entry is None:
            problems.append(Problem(
                UNKNOWN_FIELD,
                f'{descriptor.name} has no field named "{name}"',
                field.start, field.name_end, close_names(name, plan)))
            continue
        fd, repeated, is_message, convert = entry
        if not repeated:
            if field.list_start >= 0:
                problems.append(Problem(
                    BAD_VALUE,
                    f'"{name}" is not a repeated field: list syntax [ ... ] is not allowed',
                    field.list_start, field.list_start + 1))
                continue
            if name in seen:
                problems.append(Problem(
                    DUPLICATE,
                    f'non-repeated field "{name}" is given more than once',
                    field.start, field.name_end))
                continue
            seen.add(name)
        if is_message:
            if field.kind != MESSAGE:
                problems.append(Problem(
                    BAD_VALUE, f'"{name}" is a message: write {name} {{ ... }}',
                    field.vstart, field.vend))
                continue
            sub = getattr(message, name).add() if repeated else getattr(message, name)
            if not repeated:
                sub.SetInParent()
            _fill(field.value, sub, problems)
            missing = [f for f in _required(sub.DESCRIPTOR) if not sub.HasField(f)]
            if missing:
                problems.append(Problem(
                    MISSING,
                    f'{sub.DESCRIPTOR.name} requires {", ".join(map(repr, missing))}, '
                    f'missing from this "{name}" block',
                    field.start, field.name_end))
            continue
        if field.kind == MESSAGE:
            problems.append(Problem(
                BAD_VALUE, f'"{name}" takes a single value, not a {{ ... }} block',
                field.vstart, field.vend))
            continue
        if convert is None:
            value, failure = _enum(field, fd)
            if failure is not None:
                if failure == UNKNOWN_ENUM:
                    known = ", ".join(v.name for v in fd.enum_type.values)
                    text = f'unknown value {field.value} for enum field "{name}" (one of: {known})'
                else:
                    text = f'"{name}" takes one of its enum names, found {_shown(field)}'
                suggestions = ()
                if failure == UNKNOWN_ENUM and field.kind == IDENT:
                    suggestions = close_names(field.value, fd.enum_type.values_by_name)
                problems.append(Problem(failure, text, field.vstart, field.vend, suggestions))
                continue
        else:
            try:
                value = convert(field, fd)
            except _Invalid as exc:
                problems.append(Problem(BAD_VALUE, str(exc), field.vstart, field.vend))
                continue
        if repeated:
            getattr(message, name).append(value)
        else:
            setattr(message, name, value)
