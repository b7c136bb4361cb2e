"""The located parser: positions, comments, syntax errors, and agreement with
protobuf's own text_format on every corpus file it can read."""

from __future__ import annotations

import pytest
from google.protobuf import text_format

from conftest import CORPUS, manifest, shared_or_skip
from protolint import messages
from protolint.schema import caffe_pb2
from protolint.textformat import MESSAGE, LineIndex, ParseError, parse

pb = caffe_pb2()


def build(text: str, kind=None):
    message = (kind or pb.NetParameter)()
    problems = messages.fill(parse(text).root, message)
    return message, problems


def test_fields_carry_positions_and_comments_are_kept():
    text = 'name: "n"  # the net\nlayer {\n  name: "conv1"\n  convolution_param { kernel_size: 3 }\n}\n'
    tree = parse(text)
    lines = LineIndex(text)
    layer = tree.root.first("layer")
    assert layer.kind == MESSAGE and lines.position(layer.start) == (2, 1)
    assert lines.position(layer.vend - 1) == (5, 1)  # the closing brace
    ks = layer.value.find("convolution_param.kernel_size")
    assert lines.position(ks.start) == (4, 23)
    assert text[ks.vstart:ks.vend] == "3"
    assert tree.comments == [(11, "# the net")]


def test_crlf_and_tabs_count_as_characters():
    text = 'name: "a"\r\n\tlayer { name: "b" }\r\n'
    layer = parse(text).root.first("layer")
    assert LineIndex(text).position(layer.start) == (2, 2)
    assert LineIndex(text).line_text(2) == '\tlayer { name: "b" }'


def test_all_value_syntaxes():
    net, problems = build(
        "name: 'single' \"concat\"\n"
        "input: ['a', 'b']\n"
        "input_dim: [1, 0x3, 010]\n"
        "layer < name: 'x' type: 'Pooling' pooling_param: { pool: AVE stride: 2 } >;\n"
        "layer [{ name: 'y' }, { name: 'z' }],\n"
        "force_backward: t\n"
        "layer { name: 'p' type: 'Power' power_param { power: -inf scale: 1e3f shift: .5 } }\n")
    assert problems == []
    assert net.name == "singleconcat"
    assert list(net.input) == ["a", "b"]
    assert list(net.input_dim) == [1, 3, 8]  # hex and C octal, as protobuf reads them
    assert [l.name for l in net.layer] == ["x", "y", "z", "p"]
    assert net.layer[0].pooling_param.pool == pb.PoolingParameter.AVE
    assert net.force_backward is True
    assert net.layer[3].power_param.power == float("-inf")
    assert net.layer[3].power_param.scale == 1000.0
    assert net.layer[3].power_param.shift == 0.5


def test_string_escapes():
    net, problems = build(r'name: "tab\there \"q\" \x41\101"')
    assert problems == [] and net.name == 'tab\there "q" AA'


@pytest.mark.parametrize("text, position, words", [
    ('layer { name: "a"', (1, 18), "before the end of the file"),
    ('layer { name "a" }', (1, 14), "expected ':'"),
    ("name: }", (1, 7), "expected a value"),
    ("}", (1, 1), "expected a field name"),
    ('name: "open\nlayer {}', (1, 7), "not closed"),
    ("input_dim: [1, 2", (1, 17), "expected ',' or ']'"),
    ("name: 'a' @", (1, 11), "unexpected character"),
    ("\ufeffname: 'a'", (1, 1), "without BOM"),
    ("input_dim: - }", (1, 14), "a number after '-'"),
])
def test_syntax_errors_are_located(text, position, words):
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert LineIndex(text).position(caught.value.start) == position
    assert words in caught.value.message


def test_nesting_beyond_the_limit_is_a_syntax_error_not_a_stack_overflow():
    from protolint.textformat import MAX_DEPTH

    assert parse("a { " * MAX_DEPTH + "}" * MAX_DEPTH).root.fields
    text = "a { " * 5000 + "}" * 5000
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert caught.value.start == 4 * MAX_DEPTH + 2 and "nested" in str(caught.value)


def test_semantic_problems_are_located_and_the_rest_is_read():
    text = (
        'layer { name: "a" roi_pooling_param { pooled_h: 7 } type: "ReLU" }\n'
        "layer { pooling_param { pool: max } }\n"
        'layer { convolution_param { num_output: 2.5 kernel_size: -1 } }\n'
        'layer { name: "b" name: "c" }\n'
        "layer { name: ['x'] }\n"
        "layer { bottom { } top: 3 }\n"
        "layer: 5\n"
    )
    net, problems = build(text)
    lines = LineIndex(text)
    found = [(p.kind, lines.position(p.start)) for p in problems]
    assert found == [
        (messages.UNKNOWN_FIELD, (1, 19)),
        (messages.UNKNOWN_ENUM, (2, 31)),
        (messages.BAD_VALUE, (3, 41)),
        (messages.BAD_VALUE, (3, 58)),
        (messages.DUPLICATE, (4, 19)),
        (messages.BAD_VALUE, (5, 15)),
        (messages.BAD_VALUE, (6, 16)),
        (messages.BAD_VALUE, (6, 25)),
        (messages.BAD_VALUE, (7, 8)),
    ]
    # Everything else is still read: the first layer keeps its name and type.
    assert net.layer[0].name == "a" and net.layer[0].type == "ReLU"
    assert net.layer[3].name == "b"
    assert problems[1].suggestions == ("MAX",)
    assert len(net.layer) == 6


@pytest.mark.parametrize("value", ['"true"', "[1]", "2.5", "nan", "MAX", "-x"])
@pytest.mark.parametrize("field", ["bias_term", "num_output", "pool", "name", "eps"])
def test_a_value_of_the_wrong_kind_is_a_located_problem(field, value):
    """Every scalar type meets every kind of token: a problem at the value, never a
    crash (a quoted string for a bool once raised TypeError)."""
    where = {"bias_term": "convolution_param", "num_output": "convolution_param",
             "pool": "pooling_param", "eps": "batch_norm_param"}.get(field)
    inner = f"{field}: {value}"
    text = f"layer {{ {where} {{ {inner} }} }}" if where else f"layer {{ {inner} }}"
    _, problems = build(text)
    accepted = {("eps", "2.5"), ("eps", "nan"), ("name", '"true"'), ("pool", "MAX")}
    if (field, value) in accepted:
        assert problems == []
    else:
        assert len(problems) == 1 and problems[0].start == text.index(inner) + len(field) + 2
        assert problems[0].kind in (messages.BAD_VALUE, messages.UNKNOWN_ENUM)


@pytest.mark.parametrize("number", ["4294967296", "4294967297", "-4294967295"])
def test_enum_numbers_beyond_int32_are_unknown_not_wrapped(number):
    """4294967297 is not GPU (1): protobuf's own lookup would wrap it to int32."""
    solver, problems = build(f"solver_mode: {number}", pb.SolverParameter)
    assert [p.kind for p in problems] == [messages.UNKNOWN_ENUM]
    assert not solver.HasField("solver_mode")


def test_integer_ranges():
    _, problems = build("layer { convolution_param { num_output: 4294967296 } }")
    assert [p.kind for p in problems] == [messages.BAD_VALUE]
    assert "out of range" in problems[0].message
    net, problems = build("layer { convolution_param { num_output: 4294967295 axis: -2147483648 } }")
    assert problems == [] and net.layer[0].convolution_param.num_output == 4294967295


def test_float_overflow_is_infinity_like_cpp():
    solver, problems = build("base_lr: 1e39", pb.SolverParameter)
    assert problems == [] and solver.base_lr == float("inf")


def _readable_by_protobuf():
    for row in manifest():
        if row["kind"] not in ("net", "solver"):
            continue
        path = CORPUS / row["file"]
        kind = pb.NetParameter if row["kind"] == "net" else pb.SolverParameter
        try:
            expected = text_format.Parse(path.read_text(encoding="utf-8"), kind())
        except text_format.ParseError:
            continue
        yield row["file"], path, kind, expected


def test_agrees_with_protobuf_text_format_on_the_corpus():
    """Every corpus file protobuf's own parser accepts gives the identical message and
    no problem; there are hundreds of them."""
    shared_or_skip(CORPUS)
    checked = 0
    for name, path, kind, expected in _readable_by_protobuf():
        ours, problems = build(path.read_text(encoding="utf-8"), kind)
        assert problems == [], name
        assert ours == expected, name
        checked += 1
    assert checked > 350


def test_a_hex_number_beyond_uint64_in_a_float_field_is_a_located_error(tmp_path):
    from conftest import lint_text

    found = lint_text(tmp_path, "base_lr: 0x1" + "0" * 300 + '\nlr_policy: "fixed"\n')
    [bad] = [f for f in found if f.code == "PL004"]
    assert (bad.line, bad.column) == (1, 10) and "integer out of range" in bad.message
    fine = lint_text(tmp_path, 'base_lr: 0x10\nlr_policy: "fixed"\nmax_iter: 10\n')
    assert "PL004" not in [f.code for f in fine]


@pytest.mark.parametrize("text, column, said", [
    ('name:\u00a0"a"\n', 6, "unexpected character"),           # only C's whitespace
    ('name: "a\u3000"\nname:\u3000"b"\n', None, "unexpected character"),
    ('name: "a\\qb"\n', 9, "Invalid escape sequence"),
    ('name: "a\\\nb"\n', 7, "not closed on this line"),          # backslash-newline
    ("input_dim: 08\n", 13, "leading zero must be in octal"),
    ("base_lr: 00.5\n", 12, "Hex and octal numbers must be integers"),
    ("input_dim:1input_dim:2\n", 12, "Need space between number and identifier"),
    ("base_lr: 1.5.5\n", 13, "second decimal point"),
])
def test_the_tokenizer_refuses_what_protobufs_refuses(tmp_path, text, column, said):
    from conftest import lint_text

    [error] = [f for f in lint_text(tmp_path, text) if f.code == "PL001"]
    assert said in error.message and (column is None or error.column == column)


@pytest.mark.parametrize("text", [
    'name: "a\\\\b\\x41\\101\\n\\?\\u00e9"\n', "input_dim: 010\ninput_dim: 0x1F\n",
    "base_lr: 1e-3f\n", "base_lr: .5\n", "base_lr: 0.5\n", "base_lr: 5.\n",
    "input_dim: 0\n", "base_lr: 0e5\n",
])
def test_the_tokenizer_accepts_what_protobuf_accepts(tmp_path, text):
    from conftest import lint_text

    assert "PL001" not in [f.code for f in lint_text(tmp_path, text)]


def test_bytes_that_are_not_utf8_are_fine_in_comments_and_strings_only(tmp_path):
    from conftest import codes
    from protolint.lint import Options, run

    good = tmp_path / "gbk.prototxt"  # a GBK comment and name, as Chinese repositories have
    good.write_bytes('name: "x"  # 池化\nlayer { name: "d池" type: "Input" top: "d" '
                     'input_param { shape { dim: 1 } } }\n'.encode("gbk"))
    assert codes(run([str(good)], Options(cwd=tmp_path)).findings) == []
    bad = tmp_path / "bad.prototxt"
    bad.write_bytes(b'name: "x"\n\xe9layer { }\n')
    [error] = run([str(bad)], Options(cwd=tmp_path)).findings
    assert (error.code, error.line, error.column) == ("PL001", 2, 1)
    assert "byte 0xe9 is not UTF-8 text" in error.message
