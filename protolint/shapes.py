"""Blob shapes as BVLC Caffe computes them while it builds a net (Net::Init).

For every layer of a phase view, in order, the shapes its tops get from its bottoms are
computed the way the layer type's set-up does it (Layer::SetUp: CheckBlobCounts,
LayerSetUp, Reshape, SetLossWeights): the same arithmetic, including C++ int division
(truncating toward zero) and Pooling's single-precision float division, and the same
CHECKs. A CHECK that fails becomes a ShapeCheck: Caffe would abort at that layer. The
failing layer's tops are then unknown and inference goes on with the next layer, so one
run reports every layer that cannot be set up.

Nothing is guessed. A dimension that cannot be known statically (a Data layer's channel
count, an image's size, anything computed from those) is None; a blob whose number of
axes cannot be known (HDF5Data, Python layers, a fork's layer types) is None; both
propagate, and a CHECK that involves an unknown value is not judged.

Which CHECKs are reported: those about blob counts, axes, dimensions and the geometry
that decides shapes (kernel, stride, pad, slice points, ...), Blob::Reshape's own
(no negative dimension, at most INT_MAX elements, at most 32 axes), the legacy 4-D
accessors (num/channels/height/width) on blobs of more than 4 axes, CanonicalAxisIndex
and Blob::count range checks, and empty weight blobs (fillers CHECK a non-zero count).
Beyond Caffe, a Convolution/Deconvolution/Im2col/Pooling output size of 0 is reported
too (Caffe builds such a net and fails or computes nothing later). CHECKs on values that
do not change shapes (filler settings, BatchNorm's lr_mult, Exp/Log bases, in-place use,
data files) are left to the rules that own them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from protolint.floats import f32
from protolint.layers import BVLC_LAYER_TYPES, learnable_blob_count
from protolint.net import Layer, PhaseNet

Dim = int | None
Shape = tuple[Dim, ...] | None  # None: rank unknown; () is a scalar (loss outputs)

INT_MAX = 2**31 - 1
MAX_BLOB_AXES = 32  # kMaxBlobAxes
AUTOMATIC = "(automatic)"  # the name Net::AppendTop gives a top a loss layer adds itself

# The layer types whose tops `inputs` may override (besides any layer without bottoms).
DATA_SOURCES = frozenset(
    "Input Data ImageData HDF5Data WindowData MemoryData DummyData Python".split())

LOSS_TYPES = frozenset("""ContrastiveLoss EuclideanLoss HingeLoss InfogainLoss
MultinomialLogisticLoss SigmoidCrossEntropyLoss SoftmaxWithLoss""".split())

NEURON_TYPES = frozenset("""AbsVal BNLL Clip Dropout ELU Exp Log Power PReLU ReLU Sigmoid
Swish TanH Threshold""".split())

# Enum values of caffe.proto
_MAX, _AVE, _STOCHASTIC = 0, 1, 2  # PoolingParameter/SPPParameter PoolMethod
_CEIL, _FLOOR = 0, 1  # PoolingParameter RoundMode
_WITHIN_CHANNEL = 1  # LRNParameter NormRegion
_PROD = 0  # EltwiseParameter EltwiseOp


@dataclass(frozen=True)
class ShapeCheck:
    """A CHECK Caffe fails while setting up or reshaping a layer (it aborts there)."""

    layer: Layer
    message: str  # what fails, in our words, with Caffe's check in quotes, and the numbers
    field: str | None  # dotted field path in the layer, e.g. "convolution_param.kernel_size"


class Shapes:
    """The shapes of one phase view's blobs and the set-up CHECKs that fail."""

    def __init__(self, view: PhaseNet, net_inputs: dict[str, Shape],
                 failures: list[ShapeCheck]):
        self.view = view
        self.failures = failures
        self._tops: list[list[Shape] | None] = [None] * len(view.net.layers)  # by index
        self._inputs = net_inputs
        # layer index -> the shapes of its learnable blobs, in order, for the layers whose
        # blobs this module works out in full (Convolution, Deconvolution, InnerProduct)
        self.params: dict[int, list[Shape]] = {}

    def top(self, layer: Layer, index: int = 0) -> Shape:
        """The shape `layer` gives its top `index` (None when unknown or no such top;
        a loss layer's top Caffe adds itself counts)."""
        tops = self._tops[layer.index]
        if tops is None or not 0 <= index < len(tops):
            return None
        return tops[index]

    def bottom(self, layer: Layer, index: int) -> Shape:
        """The shape of the blob `layer` reads at bottom `index`: the top of the layer that
        last wrote that name before it, or a net input; None if unknown or undefined."""
        if not 0 <= index < len(layer.bottoms):
            return None
        edge = self.view.source(layer, index)
        if edge is not None:
            return self.top(edge.layer, edge.slot)
        return self._inputs.get(layer.bottoms[index])

    def blobs(self) -> dict[str, Shape]:
        """The final shape of every blob name (the last layer writing a name decides it),
        net inputs included; a top Caffe adds to a loss layer is "(automatic)"."""
        out = dict(self._inputs)
        for layer in self.view.layers:
            tops = self._tops[layer.index] or []
            names = layer.tops
            for i, shape in enumerate(tops):
                out[names[i] if i < len(names) else AUTOMATIC] = shape
        return out


def takes_input_shape(net, name: str) -> bool:
    """Whether `--input-shape name=...` applies to `net`: `name` is a net input, or a top
    of a data-source layer (or of any layer without bottoms)."""
    if name in net.inputs:
        return True
    return any(name in layer.tops for layer in net.layers
               if layer.type in DATA_SOURCES or not layer.bottoms)


def infer(view: PhaseNet, inputs: dict[str, tuple[int, ...]] | None = None) -> Shapes:
    """`inputs` overrides the shapes of net inputs and of the tops of data-source layers
    (Input, Data, ImageData, HDF5Data, WindowData, MemoryData, DummyData, Python, and any
    layer with no bottoms) by top/blob name. Before it, the shapes read from the data
    (`view.net.data_shapes`, with --data) replace what a data layer's tops get."""
    given = {name: tuple(int(d) for d in dims) for name, dims in (inputs or {}).items()}
    net_inputs = _net_inputs(view.net, given)
    shapes = Shapes(view, net_inputs, [])
    for layer in view.layers:
        bottoms = [shapes.bottom(layer, i) for i in range(len(layer.bottoms))]
        ntop = _top_count(layer.param)
        try:
            tops = _setup(layer, bottoms, ntop, shapes.params)
        except _Abort as abort:
            shapes.failures.append(ShapeCheck(layer, abort.message, abort.field))
            tops = [None] * ntop
        except Exception:  # noqa: BLE001
            tops = [None] * ntop  # a corner this module does not model: unknown, not a crash
        from_data = view.net.data_shapes.get(layer.index, ())
        for i, shape in enumerate(from_data[:ntop]):
            if shape is not None:
                tops[i] = shape
        if given and (layer.type in DATA_SOURCES or not layer.bottoms):
            for i, name in enumerate(layer.tops):
                if name in given:
                    tops[i] = given[name]
        shapes._tops[layer.index] = tops
    shapes.failures.extend(_sharing(view, shapes.params))
    return shapes


def _sharing(view: PhaseNet, params: dict[int, list[Shape]]) -> list[ShapeCheck]:
    """Net::AppendParam's checks on named `param` blocks: a blob named like an earlier
    one shares it, and must have its shape (its count with share_mode PERMISSIVE), and
    the same lr_mult and decay_mult where both layers write one."""
    owners: dict[str, tuple[Layer, int]] = {}
    out = []
    for layer in view.layers:
        for j, spec in enumerate(layer.param.param):
            if not spec.name:
                continue
            if spec.name not in owners:
                owners[spec.name] = (layer, j)
                continue
            owner, k = owners[spec.name]
            mine = params.get(layer.index, [])[j:j + 1]
            theirs = params.get(owner.index, [])[k:k + 1]
            where = f"param '{spec.name}' owned by '{owner.name}'"
            if mine and theirs and None not in (*mine[0], *theirs[0]):
                permissive = spec.share_mode == spec.PERMISSIVE
                same = (_mul(*mine[0]) == _mul(*theirs[0]) if permissive
                        else mine[0] == theirs[0])
                if not same:
                    out.append(ShapeCheck(layer, (
                        f"shares {where}, whose blob is {_fmt(theirs[0])}, but its own would "
                        f"be {_fmt(mine[0])}: Net::AppendParam's check fails (Cannot share "
                        f"param; {'count' if permissive else 'shape'} mismatch)"),
                        "param.name"))
            spec_owner = owner.param.param[k]
            for multiplier in ("lr_mult", "decay_mult"):
                if (spec.HasField(multiplier) and spec_owner.HasField(multiplier)
                        and getattr(spec, multiplier) != getattr(spec_owner, multiplier)):
                    out.append(ShapeCheck(layer, (
                        f"shares {where} with {multiplier} {getattr(spec, multiplier):g} "
                        f"against the owner's {getattr(spec_owner, multiplier):g}: "
                        f"Net::AppendParam's check fails (Shared param has mismatched "
                        f"{multiplier})"), f"param.{multiplier}"))
    return out


# ---------------------------------------------------------------------------
# The class count of a prediction

# The layers whose num_output states the class count of the prediction they produce.
_NUM_OUTPUT = {"InnerProduct": "inner_product_param", "Convolution": "convolution_param"}


@dataclass(frozen=True)
class ClassCount:
    """K, the number of classes of a prediction a loss or accuracy layer reads, and
    where it was read: from the prediction's shape, or from its producer's num_output."""

    k: int
    shape: Shape = None  # the prediction's shape, when K was read from it
    axis: int | None = None  # the class axis of that shape (None: all axes after the first)
    producer: Layer | None = None  # otherwise the layer whose num_output states K

    @property
    def field(self) -> str:
        """The producer's num_output field, for pointing at it."""
        return f"{_NUM_OUTPUT[self.producer.type]}.num_output"


def class_count(view: PhaseNet, layer: Layer, axis: int | None, *, from_shape: bool = True,
                producers: tuple[str, ...] = (), unwritten: bool = False) -> ClassCount | None:
    """K for the prediction `layer` reads at bottom 0, whose classes lie along `axis`
    (negative from the end, as Blob::CanonicalAxisIndex counts; None: all axes after the
    first together, as MultinomialLogisticLoss's count / num).

    Read from the blob's inferred shape (unless `from_shape` is False); failing that,
    from the num_output of the layer producing the blob, when its type is one of
    `producers` (InnerProduct, Convolution), its own axis is 1 and `axis` is 1 or None:
    the count it states even where its set-up fails or its input is unknown. Only a
    num_output written in the file counts, unless `unwritten` (an unset one is then its
    default, 0). The rules that need K differ in these choices: PL203 trusts only the
    producer (an InnerProduct or a Convolution, even an unset num_output), PL221, PL223
    and PL226 only the shape, PL225 the shape, then a written InnerProduct num_output."""
    if from_shape:
        shape = view.shapes.bottom(layer, 0)
        if shape:
            if axis is None:
                if all(d is not None for d in shape[1:]):
                    return ClassCount(math.prod(shape[1:]), shape, None)
            elif -len(shape) <= axis < len(shape) and shape[axis] is not None:
                canonical = axis + len(shape) if axis < 0 else axis
                return ClassCount(shape[canonical], shape, canonical)
    edge = view.source(layer, 0)
    if edge is None or edge.layer.type not in producers or axis not in (1, None):
        return None
    q = getattr(edge.layer.param, _NUM_OUTPUT[edge.layer.type])
    if q.axis != 1 or not (unwritten or q.HasField("num_output")):
        return None
    return ClassCount(q.num_output, producer=edge.layer)


# ---------------------------------------------------------------------------
# Machinery


class _Abort(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _fail(message: str, field: str | None = None):
    raise _Abort(message, field)


def _i32(v: int) -> int:
    """A value as a C++ int holds it (uint32/int64 proto fields assigned to int wrap)."""
    return (int(v) + 2**31) % 2**32 - 2**31


def _cdiv(a: int, b: int) -> int:
    """C++ integer division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _cmod(a: int, b: int) -> int:
    return a - b * _cdiv(a, b)


def _mul(*xs: Dim) -> Dim:
    out = 1
    for x in xs:
        if x is None:
            return None
        out *= x
    return out


def shape_text(shape: Shape) -> str:
    """A shape as messages write it: (8, 3, ?, ?), with "?" for an unknown size, or
    (unknown) when even the rank is unknown."""
    if shape is None:
        return "(unknown)"
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"


_fmt = shape_text  # the short name the set-up code below writes


def _axis(shape: Shape, axis: int, field: str | None, what: str = "axis") -> int | None:
    """Blob::CanonicalAxisIndex: -num_axes <= axis < num_axes, negative from the end."""
    if shape is None:
        return None
    n = len(shape)
    if axis < -n:
        _fail(f"{what} {axis} is out of range for the {n}-D blob {_fmt(shape)}: "
              f"Caffe's check \"axis_index >= -num_axes()\" fails ({axis} vs. {-n})", field)
    if axis >= n:
        unshaped = (" (a blob with no axes: an Input layer without `shape` leaves its tops "
                    "so, and Caffe sets every layer up on them while building the net, "
                    "before a caller can reshape them)" if n == 0 else "")
        _fail(f"{what} {axis} is out of range for the {n}-D blob {_fmt(shape)}: "
              f"Caffe's check \"axis_index < num_axes()\" fails ({axis} vs. {n}){unshaped}",
              field)
    return axis + n if axis < 0 else axis


def _dim(shape: Shape, index: int, field: str | None = "bottom", what: str = "axis") -> Dim:
    """Blob::shape(index), which canonicalizes the index first."""
    a = _axis(shape, index, field, what)
    return None if a is None else shape[a]


def _legacy(shape: Shape, index: int, field: str | None = "bottom") -> Dim:
    """Blob::LegacyShape (num/channels/height/width): at most 4 axes; a missing axis
    reads as 1."""
    if shape is None:
        return None
    if len(shape) > 4:
        _fail(f"the layer reads its {len(shape)}-D blob {_fmt(shape)} through the 4-D legacy "
              f"accessors (num/channels/height/width): Caffe's check \"num_axes() <= 4\" "
              f"fails ({len(shape)} vs. 4) (Cannot use legacy accessors on Blobs with > 4 axes)",
              field)
    if index >= len(shape) or index < -len(shape):
        return 1
    return shape[index]


def _count(shape: Shape, start: int = 0, end: int | None = None,
           field: str | None = None) -> Dim:
    """Blob::count(start, end): the product of the dimensions in [start, end)."""
    if shape is None:
        return None
    n = len(shape)
    end = n if end is None else end
    if not (start <= end and start >= 0 and end >= 0 and start <= n and end <= n):
        _fail(f"axes [{start}, {end}) are not a range of the {n}-D blob {_fmt(shape)}: "
              f"Blob::count's checks \"start_axis <= end_axis\", \"start_axis <= num_axes()\", "
              f"\"end_axis <= num_axes()\" fail", field)
    return _mul(*shape[start:end])


def _blob(shape: Shape, field: str | None, what: str = "top") -> None:
    """Blob::Reshape's checks: at most 32 axes, no negative dimension, at most INT_MAX
    elements (checked as long as the dimensions so far are known)."""
    if shape is None:
        return
    if len(shape) > MAX_BLOB_AXES:
        _fail(f"the {what} blob would have {len(shape)} axes: Caffe's check "
              f"\"shape.size() <= kMaxBlobAxes\" fails ({len(shape)} vs. {MAX_BLOB_AXES})", field)
    count: int | None = 1
    for d in shape:
        if d is not None and d < 0:
            _fail(f"the {what} blob would have the negative dimension {d} in {_fmt(shape)}: "
                  f"Blob::Reshape's check \"shape[i] >= 0\" fails ({d} vs. 0)", field)
        if count is None or d is None:
            count = None
            continue
        if count != 0 and d > INT_MAX // count:
            _fail(f"the {what} blob {_fmt(shape)} would have more than INT_MAX "
                  f"({INT_MAX}) elements: Blob::Reshape's check \"shape[i] <= INT_MAX / "
                  f"count_\" fails (blob size exceeds INT_MAX)", field)
        count *= d


def _weights(c: _Ctx, shape: tuple[Dim, ...], field: str | None, what: str = "weight") -> None:
    """A learnable blob the layer creates and fills (recorded, in order, for the checks
    of parameter sharing): Blob::Reshape's checks, then the filler's CHECK of a non-zero
    count."""
    c.params.append(shape)
    _blob(shape, field, what)
    if _mul(*shape) == 0:
        _fail(f"the {what} blob {_fmt(shape)} has no elements: the filler's check "
              f"\"blob->count()\" fails", field)


def _same_shapes(a: Shape, b: Shape) -> bool | None:
    """Whether two shapes are equal: None when unknowns leave it open."""
    if a is None or b is None:
        return None
    if len(a) != len(b):
        return False
    if any(x is not None and y is not None and x != y for x, y in zip(a, b)):
        return False
    if any(x is None or y is None for x, y in zip(a, b)):
        return None
    return True


def _unify(shapes: list[Shape]) -> Shape:
    """Shapes Caffe requires to be equal: each dimension from whichever one knows it."""
    known = [s for s in shapes if s is not None]
    if not known:
        return None
    out = list(known[0])
    for s in known[1:]:
        if len(s) != len(out):
            continue
        out = [x if x is not None else y for x, y in zip(out, s)]
    return tuple(out)


@dataclass
class _Ctx:
    layer: Layer
    p: object  # the LayerParameter
    b: list[Shape]  # bottom shapes
    ntop: int
    params: list[Shape] = field(default_factory=list)  # learnable blobs made, in order


def _setup(layer: Layer, bottoms: list[Shape], ntop: int,
           params: dict[int, list[Shape]]) -> list[Shape]:
    """The layer's top shapes; its learnable blobs' shapes go into `params` when all of
    them are known to this module."""
    kind = layer.type
    if kind not in BVLC_LAYER_TYPES or kind == "Python" or layer.problems:
        return [None] * ntop  # not BVLC's to say (a fork's type or dialect, Python)
    p = layer.param
    _blob_counts(kind, p, len(bottoms), ntop)
    rule = _RULES.get(kind)
    ctx = _Ctx(layer, p, bottoms, ntop)
    tops = list(rule(ctx)) if rule else []
    tops = (tops + [None] * ntop)[:ntop]
    for shape in tops:
        _blob(shape, None)
    _loss_weights(kind, p, ntop)
    _param_blocks(p)
    if ctx.params and len(ctx.params) == learnable_blob_count(p):
        params[layer.index] = ctx.params
    return tops


def _param_blocks(p) -> None:
    """Net::AppendParam, after the layer's set-up: at most one `param` block per
    learnable blob."""
    blobs = learnable_blob_count(p)
    if blobs is not None and len(p.param) > blobs:
        _fail(f"{len(p.param)} `param` blocks for {blobs} learnable blob(s): Net::AppendParam's "
              "check \"param_size <= num_param_blobs\" fails (Too many params specified "
              "for layer)", "param")


def _top_count(p) -> int:
    """The tops a layer has: its own, or at least one for a loss layer (Net::Init adds an
    "(automatic)" top where AutoTopBlobs() asks for one)."""
    n = len(p.top)
    if p.type in LOSS_TYPES:
        return max(n, 1)
    return n


# (exact bottoms, min bottoms, max bottoms, exact tops, min tops, max tops, equal numbers)
_N = -1
_COUNTS: dict[str, tuple[int, int, int, int, int, int, bool]] = {
    **{t: (1, _N, _N, 1, _N, _N, False) for t in NEURON_TYPES},
    "Accuracy": (2, _N, _N, _N, 1, 2, False),
    "ArgMax": (1, _N, _N, 1, _N, _N, False),
    "BatchNorm": (1, _N, _N, 1, _N, _N, False),
    "BatchReindex": (2, _N, _N, 1, _N, _N, False),
    "Bias": (_N, 1, 2, 1, _N, _N, False),
    "Concat": (_N, 1, _N, 1, _N, _N, False),
    "ContrastiveLoss": (3, _N, _N, 1, _N, _N, False),
    "Convolution": (_N, 1, _N, _N, 1, _N, True),
    "Crop": (2, _N, _N, 1, _N, _N, False),
    "Data": (0, _N, _N, _N, 1, 2, False),
    "Deconvolution": (_N, 1, _N, _N, 1, _N, True),
    "DummyData": (0, _N, _N, _N, 1, _N, False),
    "Eltwise": (_N, 2, _N, 1, _N, _N, False),
    "Embed": (1, _N, _N, 1, _N, _N, False),
    "EuclideanLoss": (2, _N, _N, 1, _N, _N, False),
    "Filter": (_N, 2, _N, _N, 1, _N, False),
    "Flatten": (1, _N, _N, 1, _N, _N, False),
    "HDF5Data": (0, _N, _N, _N, 1, _N, False),
    "HDF5Output": (2, _N, _N, 0, _N, _N, False),
    "HingeLoss": (2, _N, _N, 1, _N, _N, False),
    "Im2col": (1, _N, _N, 1, _N, _N, False),
    "ImageData": (0, _N, _N, 2, _N, _N, False),
    "InfogainLoss": (_N, 2, 3, _N, 1, 2, False),
    "InnerProduct": (1, _N, _N, 1, _N, _N, False),
    "Input": (0, _N, _N, _N, 1, _N, False),
    "LRN": (1, _N, _N, 1, _N, _N, False),
    "LSTMUnit": (3, _N, _N, 2, _N, _N, False),
    "MemoryData": (0, _N, _N, 2, _N, _N, False),
    "MultinomialLogisticLoss": (2, _N, _N, 1, _N, _N, False),
    "MVN": (1, _N, _N, 1, _N, _N, False),
    "Parameter": (0, _N, _N, 1, _N, _N, False),
    "Reduction": (1, _N, _N, 1, _N, _N, False),
    "Reshape": (1, _N, _N, 1, _N, _N, False),
    "Scale": (_N, 1, 2, 1, _N, _N, False),
    "SigmoidCrossEntropyLoss": (2, _N, _N, 1, _N, _N, False),
    "Silence": (_N, 1, _N, 0, _N, _N, False),
    "Slice": (1, _N, _N, _N, 1, _N, False),
    "Softmax": (1, _N, _N, 1, _N, _N, False),
    "SoftmaxWithLoss": (2, _N, _N, _N, 1, 2, False),
    "Split": (1, _N, _N, _N, 1, _N, False),
    "SPP": (1, _N, _N, 1, _N, _N, False),
    "Tile": (1, _N, _N, 1, _N, _N, False),
    "WindowData": (0, _N, _N, 2, _N, _N, False),
}


def _blob_counts(kind: str, p, nb: int, nt: int) -> None:
    """Layer::CheckBlobCounts with the numbers each layer type declares."""
    if kind == "Pooling":
        counts = (1, _N, _N, _N, 1, 2 if p.pooling_param.pool == _MAX else 1, False)
    elif kind in ("RNN", "LSTM"):
        recur = (2 if kind == "LSTM" else 1) if p.recurrent_param.expose_hidden else 0
        counts = (_N, 2 + recur, 3 + recur, 1 + recur, _N, _N, False)
    else:
        counts = _COUNTS.get(kind)
        if counts is None:
            return
    exact_b, min_b, max_b, exact_t, min_t, max_t, equal = counts
    if exact_b >= 0 and nb != exact_b:
        _fail(f"{kind} takes {exact_b} bottom blob(s), not {nb}: Caffe's check "
              f"\"ExactNumBottomBlobs() == bottom.size()\" fails ({exact_b} vs. {nb})", "bottom")
    if min_b >= 0 and nb < min_b:
        _fail(f"{kind} takes at least {min_b} bottom blob(s), not {nb}: Caffe's check "
              f"\"MinBottomBlobs() <= bottom.size()\" fails ({min_b} vs. {nb})", "bottom")
    if max_b >= 0 and nb > max_b:
        _fail(f"{kind} takes at most {max_b} bottom blob(s), not {nb}: Caffe's check "
              f"\"MaxBottomBlobs() >= bottom.size()\" fails ({max_b} vs. {nb})", "bottom")
    if exact_t >= 0 and nt != exact_t:
        _fail(f"{kind} produces {exact_t} top blob(s), not {nt}: Caffe's check "
              f"\"ExactNumTopBlobs() == top.size()\" fails ({exact_t} vs. {nt})", "top")
    if min_t >= 0 and nt < min_t:
        _fail(f"{kind} produces at least {min_t} top blob(s), not {nt}: Caffe's check "
              f"\"MinTopBlobs() <= top.size()\" fails ({min_t} vs. {nt})", "top")
    if max_t >= 0 and nt > max_t:
        _fail(f"{kind} produces at most {max_t} top blob(s), not {nt}: Caffe's check "
              f"\"MaxTopBlobs() >= top.size()\" fails ({max_t} vs. {nt})", "top")
    if equal and nb != nt:
        _fail(f"{kind} produces one top per bottom, but has {nb} bottom(s) and {nt} top(s): "
              f"Caffe's check \"bottom.size() == top.size()\" fails ({nb} vs. {nt})", "top")


def _loss_weights(kind: str, p, ntop: int) -> None:
    """Layer::SetLossWeights: loss_weight given once per top or not at all (a loss layer
    gets one loss_weight of 1 when none is written)."""
    n = len(p.loss_weight)
    if n == 0 and kind in LOSS_TYPES:
        n = 1
    if n and n != ntop:
        written = "" if p.loss_weight else " (a loss layer without loss_weight gets one of 1)"
        _fail(f"{n} loss_weight value(s) for {ntop} top(s){written}: Caffe's check "
              f"\"top.size() == num_loss_weights\" fails ({ntop} vs. {n}) (loss_weight must be "
              f"unspecified or specified once per top blob)", "loss_weight")


# ---------------------------------------------------------------------------
# Data sources


def _blobshape(shape, field: str) -> tuple[int, ...]:
    """Blob::Reshape(BlobShape): at most 32 axes; int64 dims read as int."""
    if len(shape.dim) > MAX_BLOB_AXES:
        _fail(f"a shape of {len(shape.dim)} axes: Caffe's check \"shape.dim_size() <= "
              f"kMaxBlobAxes\" fails ({len(shape.dim)} vs. {MAX_BLOB_AXES})", field)
    out = tuple(_i32(d) for d in shape.dim)
    _blob(out, field)
    return out


def _net_inputs(net, given: dict[str, tuple[int, ...]]) -> dict[str, Shape]:
    """Net-level `input` blobs (those Caffe keeps: Net.inputs): UpgradeNetInput makes them
    an Input layer with one input_shape, or four input_dim values, per input."""
    netp = net.param
    out: dict[str, Shape] = {}
    for i, name in enumerate(net.inputs):
        shape: Shape = None
        if netp.input_shape:
            if i < len(netp.input_shape) and len(netp.input_shape[i].dim) <= MAX_BLOB_AXES:
                shape = tuple(_i32(d) for d in netp.input_shape[i].dim)
        else:
            dims = netp.input_dim[4 * i:4 * i + 4]
            if len(dims) == 4:
                shape = tuple(_i32(d) for d in dims)
        out[name] = given.get(name, shape)
    return out


def _input(c: _Ctx) -> list[Shape]:
    shapes = c.p.input_param.shape
    n = len(shapes)
    if n not in (0, 1, c.ntop):
        _fail(f"{n} input_param shapes for {c.ntop} tops: Caffe's check \"num_shape == 0 || "
              f"num_shape == 1 || num_shape == num_top\" fails (Must specify 'shape' once, once "
              f"per top blob, or not at all)", "input_param.shape")
    if n == 0:
        # Left as Net::AppendTop made them, with no axes: a caller can reshape them only
        # once the net is built, and building it sets every layer up on them first.
        return [()] * c.ntop
    return [_blobshape(shapes[0 if n == 1 else i], "input_param.shape") for i in range(c.ntop)]


def _dummy_data(c: _Ctx) -> list[Shape]:
    q = c.p.dummy_data_param
    nt = c.ntop
    F = "dummy_data_param."
    if len(q.data_filler) not in (0, 1, nt):
        _fail(f"{len(q.data_filler)} data_filler for {nt} tops: Caffe's check "
              f"\"num_data_filler == 0 || num_data_filler == 1 || num_data_filler == num_top\" "
              f"fails", F + "data_filler")
    legacy = len(q.num) or len(q.channels) or len(q.height) or len(q.width)
    if legacy:
        if len(q.shape):
            _fail("both shape and num/channels/height/width: Caffe's check "
                  "\"0 == param.shape_size()\" fails (Both shape and legacy fields were "
                  "specified)", F + "shape")
        for name in ("num", "channels", "height", "width"):
            k = len(getattr(q, name))
            if k not in (1, nt):
                _fail(f"'{name}' given {k} times for {nt} tops: Caffe's check "
                      f"\"param.{name}_size() == 1 || param.{name}_size() == num_top\" fails "
                      f"(Must specify '{name}' once, or once per top blob)", F + name)
        out = []
        for i in range(nt):
            out.append(tuple(_i32(getattr(q, name)[0 if len(getattr(q, name)) == 1 else i])
                             for name in ("num", "channels", "height", "width")))
        return out
    if len(q.shape) not in (1, nt):
        _fail(f"'shape' given {len(q.shape)} times for {nt} tops: Caffe's check "
              f"\"param.shape_size() == 1 || param.shape_size() == num_top\" fails (Must "
              f"specify 'shape' once, or once per top blob)", F + "shape")
    return [_blobshape(q.shape[0 if len(q.shape) == 1 else i], F + "shape") for i in range(nt)]


def _data(c: _Ctx) -> list[Shape]:
    """DataLayer: the first datum decides channels, height and width (a crop_size makes
    height and width the crop), batch_size the first axis; the label is (batch,)."""
    batch = _i32(c.p.data_param.batch_size)
    crop = _i32(c.p.transform_param.crop_size)
    side = crop if crop else None
    out: list[Shape] = [(batch, None, side, side)]
    if c.ntop > 1:
        out.append((batch,))
    return out


def _image_data(c: _Ctx) -> list[Shape]:
    q = c.p.image_data_param
    F = "image_data_param."
    nh, nw = _i32(q.new_height), _i32(q.new_width)
    if not ((nh == 0 and nw == 0) or (nh > 0 and nw > 0)):
        _fail(f"new_height {nh} and new_width {nw}: Caffe's check \"(new_height == 0 && "
              f"new_width == 0) || (new_height > 0 && new_width > 0)\" fails (Current "
              f"implementation requires new_height and new_width to be set at the same time)",
              F + ("new_width" if nh else "new_height"))
    crop = _i32(c.p.transform_param.crop_size)
    if crop and nh and nh < crop:
        _fail(f"images resized to height {nh} cannot be cropped to {crop}: the data "
              f"transformer's check \"img_height >= crop_size\" fails ({nh} vs. {crop})",
              "transform_param.crop_size")
    if crop and nw and nw < crop:
        _fail(f"images resized to width {nw} cannot be cropped to {crop}: the data "
              f"transformer's check \"img_width >= crop_size\" fails ({nw} vs. {crop})",
              "transform_param.crop_size")
    batch = _i32(q.batch_size)
    if batch <= 0:
        _fail(f"batch_size {batch}: Caffe's check \"batch_size > 0\" fails (Positive batch "
              f"size required)", F + "batch_size")
    channels = 3 if q.is_color else 1
    h = crop if crop else (nh if nh else None)
    w = crop if crop else (nw if nw else None)
    return [(batch, channels, h, w), (batch,)]


def _window_data(c: _Ctx) -> list[Shape]:
    crop = _i32(c.p.transform_param.crop_size)
    if crop <= 0:
        _fail(f"crop_size {crop}: WindowData's check \"crop_size > 0\" fails ({crop} vs. 0)",
              "transform_param.crop_size")
    batch = _i32(c.p.window_data_param.batch_size)
    return [(batch, None, crop, crop), (batch,)]  # channels come from the window file


def _memory_data(c: _Ctx) -> list[Shape]:
    q = c.p.memory_data_param
    b, ch, h, w = (_i32(v) for v in (q.batch_size, q.channels, q.height, q.width))
    size = _i32(ch * h * w)
    if _i32(b * size) <= 0:
        _fail(f"batch_size {b}, channels {ch}, height {h}, width {w}: Caffe's check "
              f"\"batch_size_ * size_ > 0\" fails (batch_size, channels, height, and width must "
              f"be specified and positive in memory_data_param)", "memory_data_param.batch_size")
    return [(b, ch, h, w), (b,)]


def _unknown(c: _Ctx) -> list[Shape]:
    return [None] * c.ntop  # HDF5Data: the files decide every axis but the first


def _parameter(c: _Ctx) -> list[Shape]:
    return [_blobshape(c.p.parameter_param.shape, "parameter_param.shape")]


# ---------------------------------------------------------------------------
# Vision layers


def _spatial(q, nsp: int, F: str, name: str, default: int | None,
             positive: bool) -> tuple[list[int], str]:
    """One of kernel/stride/pad of a ConvolutionParameter: name_h/name_w for 2-D, or the
    repeated field given once or once per spatial axis (BaseConvolutionLayer and
    Im2colLayer read them alike). Returns the values and the field they came from."""
    singular = "kernel_size" if name == "kernel" else name
    values = list(getattr(q, singular))
    if q.HasField(name + "_h") or q.HasField(name + "_w"):
        if nsp != 2:
            _fail(f"{name}_h/{name}_w need 2 spatial axes, the bottom has {nsp}: Caffe's check "
                  f"\"num_spatial_axes_ == 2\" fails ({nsp} vs. 2) ({name}_h & {name}_w can "
                  f"only be used for 2D convolution)", F + name + "_h")
        if values:
            _fail(f"both {singular} and {name}_h/{name}_w: Caffe's check \"0 == "
                  f"conv_param.{singular}_size()\" fails (Either {singular} or {name}_h/w should "
                  f"be specified; not both)", F + singular)
        out = [_i32(getattr(q, name + "_h")), _i32(getattr(q, name + "_w"))]
        where = F + name + "_h"
    else:
        n = len(values)
        allowed = (1, nsp) if default is None else (0, 1, nsp)
        if n not in allowed:
            _fail(f"{singular} given {n} times for {nsp} spatial axes: Caffe's check fails "
                  f"({singular} must be specified once, or once per spatial dimension)",
                  F + singular)
        out = [default if n == 0 else _i32(values[0 if n == 1 else i]) for i in range(nsp)]
        where = F + singular
    if positive:
        # Caffe checks every kernel value, but a stride only when it comes from `stride`:
        # stride_h/stride_w of 0 go through to the output size's integer division
        hw = where.endswith("_h")
        for v in out:
            if v > 0:
                continue
            if name == "kernel":
                _fail(f"kernel {v}: Caffe's check \"kernel_shape_data[i] > 0\" fails ({v} vs. "
                      f"0) (Filter dimensions must be nonzero.)", where)
            if not hw:
                _fail(f"stride {v}: Caffe's check \"stride_data[i] > 0\" fails ({v} vs. 0) "
                      f"(Stride dimensions must be nonzero.)", where)
            if v == 0:
                _fail("stride_h/stride_w 0: Caffe divides the output size by it (integer "
                      "division by zero crashes)", where)
    return out, where


def _conv_geometry(q, nsp: int, F: str):
    kernel, kfield = _spatial(q, nsp, F, "kernel", None, True)
    stride, sfield = _spatial(q, nsp, F, "stride", 1, True)
    pad, _ = _spatial(q, nsp, F, "pad", 0, False)
    nd = len(q.dilation)
    if nd not in (0, 1, nsp):
        _fail(f"dilation given {nd} times for {nsp} spatial axes: Caffe's check fails "
              f"(dilation must be specified once, or once per spatial dimension)", F + "dilation")
    dilation = [1 if nd == 0 else _i32(q.dilation[0 if nd == 1 else i]) for i in range(nsp)]
    return kernel, stride, pad, dilation, kfield, sfield


def _conv_out(size: Dim, k: int, s: int, p: int, d: int, deconv: bool) -> Dim:
    if size is None:
        return None
    extent = d * (k - 1) + 1
    if deconv:
        return s * (size - 1) + extent - 2 * p
    return _cdiv(size + 2 * p - extent, s) + 1


def _convolution(c: _Ctx, deconv: bool = False) -> list[Shape]:
    q = c.p.convolution_param
    F = "convolution_param."
    kind = "Deconvolution" if deconv else "Convolution"
    s = c.b[0]
    num_output, group = _i32(q.num_output), _i32(q.group)

    def counts(channels: Dim) -> None:
        if num_output <= 0:
            _fail(f"num_output {num_output}: Caffe's check \"num_output_ > 0\" fails "
                  f"({num_output} vs. 0)", F + "num_output")
        if group == 0:
            _fail("group 0: Caffe divides the channel count by it (integer division by zero "
                  "crashes)", F + "group")
        if channels is not None and _cmod(channels, group) != 0:
            _fail(f"{channels} input channels do not split into {group} groups: Caffe's check "
                  f"\"channels_ % group_ == 0\" fails ({_cmod(channels, group)} vs. 0)",
                  F + "group")
        if _cmod(num_output, group) != 0:
            _fail(f"num_output {num_output} does not split into {group} groups: Caffe's check "
                  f"\"num_output_ % group_ == 0\" fails (Number of output should be multiples "
                  f"of group)", F + "num_output")

    if s is None:
        counts(None)
        return [None] * c.ntop
    ca = _axis(s, q.axis, F + "axis")
    nsp = len(s) - ca - 1
    kernel, stride, pad, dilation, kfield, sfield = _conv_geometry(q, nsp, F)
    channels = s[ca]
    counts(channels)
    per_group = None if channels is None else _cdiv(channels, group)
    if deconv:
        weight = (channels, _cdiv(num_output, group), *kernel)
    else:
        weight = (num_output, per_group, *kernel)
    _weights(c, weight, F + "num_output")
    if q.weight_filler.type == "bilinear":
        if len(weight) != 4:
            _fail(f"the bilinear filler needs a 4-D weight blob, not {_fmt(weight)}: its check "
                  f"\"blob->num_axes() == 4\" fails ({len(weight)} vs. 4) (Blob must be 4 dim.)",
                  F + "weight_filler.type")
        if weight[2] != weight[3]:
            _fail(f"the bilinear filler needs a square kernel, not {weight[2]}x{weight[3]}: its "
                  f"check \"blob->width() == blob->height()\" fails (Filter must be square)",
                  F + "weight_filler.type")
    if q.bias_term:
        _weights(c, (num_output,), F + "num_output", "bias")
    for i, other in enumerate(c.b[1:], 1):
        if _same_shapes(s, other) is False:
            _fail(f"{kind} bottoms must have one shape: bottom[0] {_fmt(s)} vs. bottom[{i}] "
                  f"{_fmt(other)} (Caffe's check \"bottom[0]->shape() == "
                  f"bottom[bottom_id]->shape()\" fails)", "bottom")
    out = []
    for i in range(nsp):
        size = s[ca + 1 + i]
        o = _conv_out(size, kernel[i], stride[i], pad[i], dilation[i], deconv)
        if o is not None and o <= 0:
            extent = dilation[i] * (kernel[i] - 1) + 1
            _fail(f"{kind} output size {o} on spatial axis {i} (input {size}, kernel {kernel[i]}"
                  f", extent {extent}, stride {stride[i]}, pad {pad[i]}): the top would be "
                  f"empty or negative", kfield)
        out.append(o)
    # BaseConvolutionLayer::Reshape also shapes its im2col buffer: one image's columns,
    # (input channels x kernel volume) x (output, or for Deconvolution input, positions).
    columns = (_mul(num_output if deconv else channels, *kernel),
               *(s[ca + 1:] if deconv else out))
    _blob(columns, kfield, "im2col buffer")
    top = (*s[:ca], num_output, *out)
    return [top] * c.ntop


def _deconvolution(c: _Ctx) -> list[Shape]:
    return _convolution(c, deconv=True)


def _im2col(c: _Ctx) -> list[Shape]:
    q = c.p.convolution_param
    F = "convolution_param."
    s = c.b[0]
    if s is None:
        return [None]
    ca = _axis(s, q.axis, F + "axis")
    nsp = len(s) - ca - 1
    if nsp < 1:
        _fail(f"Im2col needs a spatial axis after the channel axis {ca} of {_fmt(s)}: "
              f"Caffe's check \"num_spatial_axes_ >= 1\" fails ({nsp} vs. 1)", F + "axis")
    kernel, stride, pad, dilation, kfield, _ = _conv_geometry(q, nsp, F)
    top = list(s)
    for i in range(nsp):
        top[ca] = _mul(top[ca], kernel[i])
        o = _conv_out(s[ca + 1 + i], kernel[i], stride[i], pad[i], dilation[i], False)
        if o is not None and o <= 0:
            _fail(f"Im2col output size {o} on spatial axis {i} (input {s[ca + 1 + i]}, kernel "
                  f"{kernel[i]}, stride {stride[i]}, pad {pad[i]}): the top would be empty or "
                  f"negative", kfield)
        top[ca + 1 + i] = o
    if top[ca] is not None:
        top[ca] = _i32(top[ca])
    return [tuple(top)]


def _pooled(size: Dim, k: Dim, p: int, s: int, mode: int) -> Dim:
    """PoolingLayer::Reshape's output size before the padding correction: a float
    division rounded up (CEIL) or down (FLOOR), plus one."""
    if size is None or k is None:
        return None
    q = f32(f32(float(size + 2 * p - k)) / f32(float(s)))
    r = math.ceil(q) if mode == _CEIL else math.floor(q)
    return int(r) + 1


def _pool_checks(q, F: str) -> None:
    """PoolingLayer::LayerSetUp's checks on which fields are written."""
    has = q.HasField
    if q.global_pooling:
        if has("kernel_size") or has("kernel_h") or has("kernel_w"):
            _fail("global_pooling with a kernel size: Caffe's check fails (With "
                  "Global_pooling: true Filter size cannot specified)", F + "global_pooling")
    else:
        both = has("kernel_h") and has("kernel_w")
        if has("kernel_size") == both:
            _fail("kernel_size and kernel_h/kernel_w: give one of them (Caffe's check fails: "
                  "Filter size is kernel_size OR kernel_h and kernel_w; not both)",
                  F + "kernel_size")
    for name in ("pad", "stride"):
        if not ((not has(name) and has(name + "_h") and has(name + "_w"))
                or (not has(name + "_h") and not has(name + "_w"))):
            _fail(f"{name} together with {name}_h/{name}_w, or only one of {name}_h/{name}_w: "
                  f"Caffe's check fails ({name} is {name} OR {name}_h and {name}_w are "
                  f"required)", F + (name if has(name) else name + "_h"))


def _pool_shape(s: Shape, kernel: tuple[Dim, Dim], pad: tuple[int, int],
                stride: tuple[int, int], mode: int, F: str | None,
                kfield: str | None, sfield: str | None, pfield: str | None) -> Shape:
    """PoolingLayer::Reshape from the bottom shape and the layer's geometry."""
    if s is None:
        return None
    if len(s) != 4:
        _fail(f"Pooling needs a 4-D bottom (num, channels, height, width), not {_fmt(s)}: "
              f"Caffe's check \"4 == bottom[0]->num_axes()\" fails (4 vs. {len(s)})", F)
    n, ch, h, w = s
    (kh, kw), (ph, pw), (sh, sw) = kernel, pad, stride
    if sh == 0 or sw == 0:
        _fail("stride 0: Pooling divides by it (the float division gives infinity and the "
              "output size is garbage)", sfield)
    oh, ow = _pooled(h, kh, ph, sh, mode), _pooled(w, kw, pw, sw, mode)
    if ph or pw:
        # with padding, the last window must start inside the image, not in the padding
        if oh is not None and (oh - 1) * sh >= h + ph:
            oh -= 1
        if ow is not None and (ow - 1) * sw >= w + pw:
            ow -= 1
        if oh is not None and not (oh - 1) * sh < h + ph:
            _fail(f"the last pooling window starts at {(oh - 1) * sh}, past the padded height "
                  f"{h + ph}: Caffe's check \"(pooled_height_ - 1) * stride_h_ < height_ + "
                  f"pad_h_\" fails", pfield)
        if ow is not None and not (ow - 1) * sw < w + pw:
            _fail(f"the last pooling window starts at {(ow - 1) * sw}, past the padded width "
                  f"{w + pw}: Caffe's check \"(pooled_width_ - 1) * stride_w_ < width_ + "
                  f"pad_w_\" fails", pfield)
    for o, size, k, st, p in ((oh, h, kh, sh, ph), (ow, w, kw, sw, pw)):
        if o is not None and o <= 0:
            _fail(f"Pooling output size {o} (input {size}, kernel {k}, stride {st}, pad {p}): "
                  f"the top would be empty or negative", kfield)
    return (n, ch, oh, ow)


def _pooling(c: _Ctx) -> list[Shape]:
    q = c.p.pooling_param
    F = "pooling_param."
    _pool_checks(q, F)
    s = c.b[0]
    if q.global_pooling:
        kernel = (_legacy(s, 2), _legacy(s, 3))
        kfield = F + "global_pooling"
    elif q.HasField("kernel_size"):
        kernel = (_i32(q.kernel_size),) * 2
        kfield = F + "kernel_size"
    else:
        kernel = (_i32(q.kernel_h), _i32(q.kernel_w))
        kfield = F + "kernel_h"
    for k in kernel:
        if k is not None and k <= 0:
            _fail(f"kernel size {k}: Caffe's check \"kernel_h_ > 0\" / \"kernel_w_ > 0\" fails "
                  f"({k} vs. 0) (Filter dimensions cannot be zero)", kfield)
    if q.HasField("pad_h"):
        pad, pfield = (_i32(q.pad_h), _i32(q.pad_w)), F + "pad_h"
    else:
        pad, pfield = (_i32(q.pad),) * 2, F + "pad"
    if q.HasField("stride_h"):
        stride, sfield = (_i32(q.stride_h), _i32(q.stride_w)), F + "stride_h"
    else:
        stride, sfield = (_i32(q.stride),) * 2, F + "stride"
    if q.global_pooling and (pad != (0, 0) or stride != (1, 1)):
        _fail(f"global_pooling with pad {pad} and stride {stride}: Caffe's check fails (With "
              f"Global_pooling: true; only pad = 0 and stride = 1)", F + "global_pooling")
    if pad != (0, 0):
        if q.pool not in (_AVE, _MAX):
            _fail("padding with STOCHASTIC pooling: Caffe's check fails (Padding implemented "
                  "only for average and max pooling.)", pfield)
        for p, k, axis in ((pad[0], kernel[0], "h"), (pad[1], kernel[1], "w")):
            if k is not None and not p < k:
                _fail(f"pad {p} is not smaller than the kernel {k}: Caffe's check "
                      f"\"pad_{axis}_ < kernel_{axis}_\" fails ({p} vs. {k})", pfield)
    top = _pool_shape(s, kernel, pad, stride, q.round_mode, "bottom", kfield, sfield, pfield)
    return [top] * c.ntop


def _spp(c: _Ctx) -> list[Shape]:
    """SPP: one pooling per pyramid level (2**level bins a side, kernel and stride the
    bin size rounded up, padding to cover the input), each flattened, then concatenated;
    with a single level, the pooled 4-D blob itself."""
    q = c.p.spp_param
    s = c.b[0]
    if s is None:
        return [None]
    n, ch, h, w = (_legacy(s, i, "bottom") for i in range(4))
    for size, name in ((h, "height"), (w, "width")):
        if size is not None and size <= 0:
            _fail(f"input {name} {size}: Caffe's check \"bottom_{name[0]}_ > 0\" fails "
                  f"(Input dimensions cannot be zero.)", "bottom")
    levels = _i32(q.pyramid_height)  # SPPLayer keeps it in an int
    field = "spp_param.pyramid_height"
    if levels <= 0:
        shown = f"{q.pyramid_height} (in Caffe's int: {levels})" if levels else "0"
        _fail(f"pyramid_height {shown}: SPP sets up a Split into no blobs, whose check "
              "\"MinTopBlobs() <= top.size()\" fails (1 vs. 0)", field)
    if levels > 30:
        return [None]
    pool = q.pool
    total: Dim = 0
    pooled: Shape = None
    for level in range(levels):
        bins = 2 ** level
        if h is None or w is None:
            if len(s) != 4:
                _pool_shape(s, (1, 1), (0, 0), (1, 1), _CEIL, "bottom", field, field, field)
            pooled = (n, ch, None, None)
        else:
            kh, kw = -(-h // bins), -(-w // bins)
            ph, pw = (kh * bins - h + 1) // 2, (kw * bins - w + 1) // 2
            if ph or pw:
                if pool not in (_AVE, _MAX):
                    _fail(f"pyramid level {level} of a {h}x{w} input needs padding, which "
                          f"STOCHASTIC pooling refuses: Caffe's check fails (Padding "
                          f"implemented only for average and max pooling.)", "spp_param.pool")
                for p, k, axis in ((ph, kh, "h"), (pw, kw, "w")):
                    if not p < k:
                        _fail(f"pyramid level {level} of a {h}x{w} input pools with pad {p} "
                              f"and kernel {k}: Caffe's check \"pad_{axis}_ < kernel_{axis}_\" "
                              f"fails ({p} vs. {k})", field)
            pooled = _pool_shape(s, (kh, kw), (ph, pw), (kh, kw), _CEIL, "bottom", field,
                                 field, field)
        if levels == 1:
            return [pooled]
        flat = _mul(*pooled[1:])
        total = None if total is None or flat is None else total + flat
    return [(n, total)]


def _lrn(c: _Ctx) -> list[Shape]:
    q = c.p.lrn_param
    size = _i32(q.local_size)
    if size % 2 != 1:
        _fail(f"local_size {size}: Caffe's check \"size_ % 2 == 1\" fails (LRN only supports "
              f"odd values for local_size)", "lrn_param.local_size")
    s = c.b[0]
    if s is None:
        return [None]
    if q.norm_region == _WITHIN_CHANNEL:  # set up as split, power, AVE pooling, product
        _pool_shape(s, (size, size), ((size - 1) // 2,) * 2, (1, 1), _CEIL, "bottom", None, None,
                    None)
    if len(s) != 4:
        _fail(f"LRN needs a 4-D bottom (num, channels, height, width), not {_fmt(s)}: "
              f"Caffe's check \"4 == bottom[0]->num_axes()\" fails (4 vs. {len(s)})", "bottom")
    return [s]


def _inner_product(c: _Ctx) -> list[Shape]:
    q = c.p.inner_product_param
    F = "inner_product_param."
    s = c.b[0]
    n = _i32(q.num_output)
    if n == 0:
        # Caffe's own message names the filler, not the setting that caused it.
        unset = "" if q.HasField("num_output") else " (not written: it has no default)"
        _fail(f"num_output is 0{unset}: the weight blob has no rows, so the weight filler's "
              f"check \"blob->count()\" fails while the layer sets up", F + "num_output")
    if s is None:
        return [(None,) * q.axis + (n,)] if q.axis >= 0 else [None]
    axis = _axis(s, q.axis, F + "axis")
    k = _count(s, axis)
    _weights(c, (k, n) if q.transpose else (n, k), F + "num_output")
    if q.bias_term:
        _weights(c, (n,), F + "num_output", "bias")
    return [(*s[:axis], n)]


def _embed(c: _Ctx) -> list[Shape]:
    q = c.p.embed_param
    n, k = _i32(q.num_output), _i32(q.input_dim)
    if n <= 0:
        _fail(f"num_output {n}: Caffe's check \"N_ > 0\" fails (EmbedLayer num_output must be "
              f"positive.)", "embed_param.num_output")
    if k <= 0:
        _fail(f"input_dim {k}: Caffe's check \"K_ > 0\" fails (EmbedLayer input_dim must be "
              f"positive.)", "embed_param.input_dim")
    s = c.b[0]
    return [None if s is None else (*s, n)]


# ---------------------------------------------------------------------------
# Blob plumbing


def _concat(c: _Ctx) -> list[Shape]:
    q = c.p.concat_param
    if q.HasField("axis") and q.HasField("concat_dim"):
        _fail("both axis and concat_dim: Caffe's check fails (Either axis or concat_dim should "
              "be specified; not both.)", "concat_param.concat_dim")
    ranks = [len(s) for s in c.b if s is not None]
    if not ranks:
        return [None]
    s0 = c.b[0]
    if s0 is None:
        # Caffe reads the axis from bottom[0]; every bottom must have its number of axes
        s0 = (None,) * ranks[0]
    n = len(s0)
    if q.HasField("concat_dim"):
        axis = _i32(q.concat_dim)
        if axis < 0:
            _fail(f"concat_dim {q.concat_dim} reads as the negative int {axis}: Caffe's check "
                  f"\"concat_axis_ >= 0\" fails", "concat_param.concat_dim")
        if axis >= n:
            _fail(f"concat_dim {axis} is out of range for {n}-D bottoms: Caffe's check "
                  f"\"concat_axis_ < num_axes\" fails ({axis} vs. {n}) (concat_dim out of "
                  f"range.)", "concat_param.concat_dim")
    else:
        axis = _axis(s0, q.axis, "concat_param.axis")
    top = list(s0)
    origin = [0] * n  # which bottom each known dimension of the top comes from
    for i, other in enumerate(c.b[1:], 1):
        if other is None:
            top[axis] = None
            continue
        if len(other) != n:
            _fail(f"Concat bottoms must have the same number of axes: bottom[0] {_fmt(s0)} vs. "
                  f"bottom[{i}] {_fmt(other)}: Caffe's check \"num_axes == "
                  f"bottom[i]->num_axes()\" fails ({n} vs. {len(other)})", "bottom")
        for j in range(n):
            if j == axis:
                continue
            if top[j] is not None and other[j] is not None and top[j] != other[j]:
                k = origin[j]
                _fail(f"Concat bottoms must match except on axis {axis}: bottom[{k}] "
                      f"{_fmt(c.b[k])} vs. bottom[{i}] {_fmt(other)} differ on axis {j}: "
                      f"Caffe's check \"top_shape[j] == bottom[i]->shape(j)\" fails ({top[j]} "
                      f"vs. {other[j]}) (All inputs must have the same shape, except at "
                      f"concat_axis.)", "bottom")
            if top[j] is None:
                top[j], origin[j] = other[j], i
        top[axis] = None if top[axis] is None or other[axis] is None else top[axis] + other[axis]
    return [tuple(top)]


def _slice(c: _Ctx) -> list[Shape]:
    q = c.p.slice_param
    F = "slice_param."
    if q.HasField("axis") and q.HasField("slice_dim"):
        _fail("both axis and slice_dim: Caffe's check fails (Either axis or slice_dim should be "
              "specified; not both.)", F + "slice_dim")
    s = c.b[0]
    nt = c.ntop
    if s is None:
        return [None] * nt
    n = len(s)
    if q.HasField("slice_dim"):
        axis = _i32(q.slice_dim)
        if axis < 0:
            _fail(f"slice_dim {q.slice_dim} reads as the negative int {axis}: Caffe's check "
                  f"\"slice_axis_ >= 0\" fails", F + "slice_dim")
        if axis >= n:
            _fail(f"slice_dim {axis} is out of range for the {n}-D bottom {_fmt(s)}: Caffe's "
                  f"check \"slice_axis_ < num_axes\" fails ({axis} vs. {n}) (slice_dim out of "
                  f"range.)", F + "slice_dim")
        afield = F + "slice_dim"
    else:
        axis = _axis(s, q.axis, F + "axis")
        afield = F + "axis"
    size = s[axis]
    points = [_i32(v) for v in q.slice_point]
    if points:
        if len(points) != nt - 1:
            _fail(f"{len(points)} slice_point(s) for {nt} tops: Caffe's check "
                  f"\"slice_point_.size() == top.size() - 1\" fails ({len(points)} vs. "
                  f"{nt - 1})", F + "slice_point")
        if size is not None and not nt <= size:
            _fail(f"{nt} tops cannot slice axis {axis} of {_fmt(s)}, which has {size} "
                  f"element(s): Caffe's check \"top.size() <= bottom_slice_axis\" fails ({nt} vs. "
                  f"{size})", afield)
        prev = 0
        sizes: list[Dim] = []
        for v in points:
            if not v > prev:
                _fail(f"slice_point {v} does not follow {prev}: Caffe's check "
                      f"\"slice_point_[i] > prev\" fails ({v} vs. {prev})", F + "slice_point")
            sizes.append(v - prev)
            prev = v
        sizes.append(None if size is None else size - prev)
    else:
        if size is not None and size % nt != 0:
            _fail(f"{nt} tops do not evenly divide axis {axis} of {_fmt(s)} ({size}): Caffe's "
                  f"check \"bottom_slice_axis % top.size() == 0\" fails ({size % nt} vs. 0)",
                  afield)
        sizes = [None if size is None else size // nt] * nt
    out = []
    for k in sizes:
        top = list(s)
        top[axis] = k
        _blob(tuple(top), F + "slice_point")
        out.append(tuple(top))
    return out


def _split(c: _Ctx) -> list[Shape]:
    return [c.b[0]] * c.ntop


def _eltwise(c: _Ctx) -> list[Shape]:
    q = c.p.eltwise_param
    if len(q.coeff) not in (0, len(c.b)):
        _fail(f"{len(q.coeff)} coeff for {len(c.b)} bottoms: Caffe's check fails (Eltwise Layer "
              f"takes one coefficient per bottom blob.)", "eltwise_param.coeff")
    if q.operation == _PROD and len(q.coeff):
        _fail("coeff with operation PROD: Caffe's check fails (Eltwise layer only takes "
              "coefficients for summation.)", "eltwise_param.coeff")
    for i, other in enumerate(c.b[1:], 1):
        if _same_shapes(c.b[0], other) is False:
            _fail(f"Eltwise bottoms must have one shape: bottom[0] {_fmt(c.b[0])} vs. "
                  f"bottom[{i}] {_fmt(other)} (Caffe's check \"bottom[0]->shape() == "
                  f"bottom[i]->shape()\" fails)", "bottom")
    return [_unify(c.b)]


def _flatten(c: _Ctx) -> list[Shape]:
    q = c.p.flatten_param
    s = c.b[0]
    if s is None:
        return [None]
    start = _axis(s, q.axis, "flatten_param.axis")
    end = _axis(s, q.end_axis, "flatten_param.end_axis", "end_axis")
    flat = _count(s, start, end + 1, "flatten_param.end_axis")
    return [(*s[:start], flat, *s[end + 1:])]


def _reshape(c: _Ctx) -> list[Shape]:
    q = c.p.reshape_param
    F = "reshape_param."
    dims = [_i32(d) for d in q.shape.dim]
    copies = [i for i, d in enumerate(dims) if d == 0]
    inferred = [i for i, d in enumerate(dims) if d == -1]
    if len(inferred) > 1:
        _fail("the new shape has more than one -1: Caffe's check \"inferred_axis_ == -1\" fails "
              "(new shape contains multiple -1 dims; at most a single (1) value of -1 may be "
              "specified)", F + "shape")
    constant = 1
    for d in dims:
        if d not in (0, -1):
            constant = _i32(constant * d)
    s = c.b[0]
    if s is None:
        if q.axis == 0 and q.num_axes == -1:
            return [tuple(None if d in (0, -1) else d for d in dims)]
        return [None]
    n = len(s)
    start = q.axis if q.axis >= 0 else n + q.axis + 1
    if start < 0 or start > n:
        _fail(f"axis {q.axis} is out of range for the {n}-D bottom {_fmt(s)}: Caffe's check "
              f"\"start_axis {'>= 0' if start < 0 else '<= bottom[0]->num_axes()'}\" fails",
              F + "axis")
    if q.num_axes < -1:
        _fail(f"num_axes {q.num_axes}: Caffe's check \"num_axes >= -1\" fails (num_axes must be "
              f">= 0, or -1 for all)", F + "num_axes")
    end = n if q.num_axes == -1 else start + q.num_axes
    if end > n:
        _fail(f"axis {start} + num_axes {q.num_axes} goes past the {n}-D bottom {_fmt(s)}: "
              f"Caffe's check \"end_axis <= bottom[0]->num_axes()\" fails ({end} vs. {n})",
              F + "num_axes")
    top: list[Dim] = [*s[:start], *dims, *s[end:]]
    for i in copies:
        if not n > start + i:
            _fail(f"shape dim {i} is 0 (copy) but the bottom {_fmt(s)} has no axis "
                  f"{start + i}: Caffe's check \"bottom[0]->num_axes() > start_axis + "
                  f"copy_axis_index\" fails ({n} vs. {start + i})", F + "shape")
        top[start + i] = s[start + i]
    total = _count(s)
    if inferred:
        explicit = _mul(constant, _count(s, 0, start), _count(s, end),
                        *(top[start + i] for i in copies))
        if explicit is not None:
            explicit = _i32(explicit)
        if explicit == 0:
            _fail(f"the dimensions besides the -1 multiply to 0, and Caffe divides the bottom "
                  f"count by them (integer division by zero crashes)", F + "shape")
        if explicit is not None and total is not None:
            if _cmod(total, explicit) != 0:
                _fail(f"the bottom {_fmt(s)} has {total} elements, not a multiple of the "
                      f"{explicit} the other dimensions give: Caffe's check \"0 == "
                      f"bottom[0]->count() % explicit_count\" fails", F + "shape")
            top[start + inferred[0]] = _cdiv(total, explicit)
        else:
            top[start + inferred[0]] = None
    _blob(tuple(top), F + "shape")
    out_count = _mul(*top)
    if out_count is not None and total is not None and out_count != total:
        _fail(f"the new shape {_fmt(tuple(top))} has {out_count} elements, the bottom "
              f"{_fmt(s)} {total}: Caffe's check \"top[0]->count() == bottom[0]->count()\" "
              f"fails (output count must match input count)", F + "shape")
    return [tuple(top)]


def _crop(c: _Ctx) -> list[Shape]:
    q = c.p.crop_param
    s0, s1 = c.b
    if s0 is None:
        return [None]
    n = len(s0)
    start = _axis(s0, q.axis, "crop_param.axis")
    offsets = [_i32(v) for v in q.offset]
    if len(offsets) > 1 and start + len(offsets) != n:
        _fail(f"{len(offsets)} offsets from axis {start} of the {n}-D bottom {_fmt(s0)}: "
              f"Caffe's check \"start_axis + param.offset_size() == input_dim\" fails "
              f"({start + len(offsets)} vs. {n}) (number of offset values specified must be "
              f"equal to the number of dimensions following axis.)", "crop_param.offset")
    top = list(s0)
    for i in range(start, n):
        size = _dim(s1, i, "bottom")
        off = offsets[0] if len(offsets) == 1 else offsets[i - start] if offsets else 0
        if s0[i] is not None and size is not None and not s0[i] - off >= size:
            _fail(f"cropping {size} at offset {off} from axis {i} of {_fmt(s0)} (size {s0[i]}) "
                  f"runs past its end: Caffe's check \"bottom[0]->shape(i) - crop_offset >= "
                  f"bottom[1]->shape(i)\" fails ({s0[i] - off} vs. {size})",
                  "crop_param.offset" if offsets else "bottom")
        top[i] = size
    return [tuple(top)]


def _param_blob(s: Shape, axis_field: str, num_axes_field: str, axis: int, num_axes: int,
                what: str) -> Shape:
    """The learnable blob Scale/Bias make from bottom[0]: its axes from `axis`, `num_axes`
    of them (-1: to the end)."""
    a = _axis(s, axis, axis_field)
    if num_axes < -1:
        _fail(f"num_axes {num_axes}: Caffe's check \"num_axes >= -1\" fails (num_axes must be "
              f"non-negative, or -1 to extend to the end of bottom[0])", num_axes_field)
    if s is None:
        return None
    if num_axes >= 0 and not len(s) >= a + num_axes:
        _fail(f"a {what} blob of {num_axes} axes from axis {a} goes past the {len(s)}-D bottom "
              f"{_fmt(s)}: Caffe's check \"bottom[0]->num_axes() >= axis + num_axes\" fails "
              f"({len(s)} vs. {a + num_axes})", num_axes_field)
    return s[a:] if num_axes == -1 else s[a:a + num_axes]


def _apply_blob(s: Shape, blob: Shape, axis: int, axis_field: str, what: str,
                field: str) -> None:
    """Scale/Bias Reshape: the blob's axes must match bottom[0]'s from `axis` on (axis 0
    for a scalar blob)."""
    if s is None or blob is None:
        return
    a = 0 if len(blob) == 0 else _axis(s, axis, axis_field)
    if not len(s) >= a + len(blob):
        _fail(f"the {what} blob {_fmt(blob)} applied from axis {a} goes past the bottom "
              f"{_fmt(s)}: Caffe's check \"bottom[0]->num_axes() >= axis_ + "
              f"{what}->num_axes()\" fails ({len(s)} vs. {a + len(blob)})", field)
    for i, d in enumerate(blob):
        if s[a + i] is not None and d is not None and s[a + i] != d:
            _fail(f"the {what} blob {_fmt(blob)} does not match the bottom {_fmt(s)} from axis "
                  f"{a}: Caffe's check \"bottom[0]->shape({a + i}) == {what}->shape({i})\" fails "
                  f"({s[a + i]} vs. {d})", field)


def _scale(c: _Ctx) -> list[Shape]:
    q = c.p.scale_param
    F = "scale_param."
    s = c.b[0]
    if len(c.b) == 1:
        blob = _param_blob(s, F + "axis", F + "num_axes", q.axis, q.num_axes, "scale")
    else:
        blob = c.b[1]
    if q.bias_term:
        nb = (None if c.b[1] is None else len(c.b[1])) if len(c.b) > 1 else q.num_axes
        if nb is not None:
            _param_blob(s, F + "axis", F + "num_axes", q.axis, nb, "bias")
    _apply_blob(s, blob, q.axis, F + "axis", "scale", "bottom" if len(c.b) > 1 else F + "axis")
    return [s]


def _bias(c: _Ctx) -> list[Shape]:
    q = c.p.bias_param
    F = "bias_param."
    s = c.b[0]
    if len(c.b) == 1:
        blob = _param_blob(s, F + "axis", F + "num_axes", q.axis, q.num_axes, "bias")
    else:
        blob = c.b[1]
    _apply_blob(s, blob, q.axis, F + "axis", "bias", "bottom" if len(c.b) > 1 else F + "axis")
    return [s]


def _tile(c: _Ctx) -> list[Shape]:
    q = c.p.tile_param
    s = c.b[0]
    axis = _axis(s, q.axis, "tile_param.axis")
    if not q.HasField("tiles"):
        _fail("tiles is not set: Caffe's check fails (Number of tiles must be specified)",
              "tile_param")
    if q.tiles <= 0:
        _fail(f"tiles {q.tiles}: Caffe's check \"tiles_ > 0\" fails (Number of tiles must be "
              f"positive.)", "tile_param.tiles")
    if s is None:
        return [None]
    top = list(s)
    top[axis] = None if s[axis] is None else _i32(s[axis] * q.tiles)
    return [tuple(top)]


def _reduction(c: _Ctx) -> list[Shape]:
    q = c.p.reduction_param
    s = c.b[0]
    if s is None:
        return [(None,) * q.axis] if q.axis >= 0 else [None]
    axis = _axis(s, q.axis, "reduction_param.axis")
    return [s[:axis]]


def _argmax(c: _Ctx) -> list[Shape]:
    q = c.p.argmax_param
    F = "argmax_param."
    k = _i32(q.top_k)
    if k < 1:
        _fail(f"top_k {k}: Caffe's check \"top_k_ >= 1\" fails (top k must not be less than 1.)",
              F + "top_k")
    s = c.b[0]
    if s is None:
        return [None]
    if q.HasField("axis"):
        axis = _axis(s, q.axis, F + "axis")
        if s[axis] is not None and not k <= s[axis]:
            _fail(f"top_k {k} exceeds axis {axis} of {_fmt(s)} ({s[axis]}): Caffe's check "
                  f"\"top_k_ <= bottom[0]->shape(axis_)\" fails (top_k must be less than or "
                  f"equal to the dimension of the axis.)", F + "top_k")
        top = list(s)
        top[axis] = k
        return [tuple(top)]
    per_item = _count(s, 1, None, "bottom")
    if per_item is not None and not k <= per_item:
        _fail(f"top_k {k} exceeds the {per_item} values per item of {_fmt(s)}: Caffe's check "
              f"\"top_k_ <= bottom[0]->count(1)\" fails (top_k must be less than or equal to the "
              f"dimension of the flattened bottom blob per instance.)", F + "top_k")
    top = [1] * max(len(s), 3)
    top[0] = _dim(s, 0)
    top[2] = k
    if q.out_max_val:
        top[1] = 2
    return [tuple(top)]


def _filter(c: _Ctx) -> list[Shape]:
    nb, nt = len(c.b), c.ntop
    if nt != nb - 1:
        _fail(f"Filter needs one top per filtered bottom: {nt} top(s) for {nb - 1}: Caffe's "
              f"check \"top.size() == bottom.size() - 1\" fails ({nt} vs. {nb - 1})", "top")
    sel = c.b[-1]
    if sel is not None:
        for i in range(1, len(sel)):
            if sel[i] is not None and sel[i] != 1:
                _fail(f"the selector {_fmt(sel)} must be 1 on every axis but the first: "
                      f"Caffe's check \"bottom[selector_index]->shape(i) == 1\" fails ({sel[i]} "
                      f"vs. 1)", "bottom")
    n_sel = _dim(sel, 0, "bottom")
    for i in range(nb - 1):
        d = _dim(c.b[i], 0, "bottom")
        if n_sel is not None and d is not None and n_sel != d:
            _fail(f"bottom[{i}] {_fmt(c.b[i])} and the selector {_fmt(sel)} differ on the first "
                  f"axis: Caffe's check \"bottom[selector_index]->shape(0) == "
                  f"bottom[i]->shape(0)\" fails ({n_sel} vs. {d})", "bottom")
    first = _dim(c.b[0], 0, "bottom")  # before any forward pass, every top keeps all items
    return [None if c.b[t] is None else (first, *c.b[t][1:]) for t in range(nt)]


def _batch_reindex(c: _Ctx) -> list[Shape]:
    s0, s1 = c.b
    if s1 is not None and len(s1) != 1:
        _fail(f"the index blob {_fmt(s1)} must have 1 axis: Caffe's check \"1 == "
              f"bottom[1]->num_axes()\" fails (1 vs. {len(s1)})", "bottom")
    if s0 is None:
        return [None]
    return [(None if s1 is None else s1[0], *s0[1:])]


def _softmax(c: _Ctx) -> list[Shape]:
    _axis(c.b[0], c.p.softmax_param.axis, "softmax_param.axis")
    return [c.b[0]]


def _batch_norm(c: _Ctx) -> list[Shape]:
    s = c.b[0]
    if s is None:
        return [None]
    if len(s) == 1:
        _fail(f"BatchNorm on the 1-D blob {_fmt(s)}: its Reshape reads axis 1 anyway, and "
              f"CanonicalAxisIndex's check \"axis_index < num_axes()\" fails (1 vs. 1)", "bottom")
    channels = _dim(s, 1, "bottom")
    if _mul(channels, s[0]) == 0:
        _fail(f"BatchNorm on {_fmt(s)}: it divides the count by channels x num, which is 0 "
              f"(integer division by zero crashes)", "bottom")
    return [s]


def _mvn(c: _Ctx) -> list[Shape]:
    s = c.b[0]
    if s is None:
        return [None]
    return [tuple(_legacy(s, i) for i in range(4))]  # always 4-D, missing axes read as 1


def _prelu(c: _Ctx) -> list[Shape]:
    s = c.b[0]
    if s is not None:
        if len(s) < 2:
            _fail(f"PReLU needs a bottom of at least 2 axes, not {_fmt(s)}: Caffe's check "
                  f"\"bottom[0]->num_axes() >= 2\" fails ({len(s)} vs. 2)", "bottom")
        channels = _legacy(s, 1, "bottom")
        if not c.p.prelu_param.channel_shared and channels == 0:
            _weights(c, (0,), "prelu_param", "slope")
    return [s]


def _neuron(c: _Ctx) -> list[Shape]:
    return [c.b[0]]


def _exp_log(c: _Ctx) -> list[Shape]:
    """ExpLayer and LogLayer::LayerSetUp: a base other than -1 (e) must be positive, with
    a finite log (and, for Log, a finite 1/log: base 1 divides by 0)."""
    where = "exp_param.base" if c.p.type == "Exp" else "log_param.base"
    base = f32((c.p.exp_param if c.p.type == "Exp" else c.p.log_param).base)
    if base == -1:
        return [c.b[0]]
    if not base > 0:
        _fail(f"base {base:g}: {c.p.type}Layer's check \"base > 0\" fails (base must be "
              "strictly positive)", where)
    log_base = f32(math.log(base)) if math.isfinite(base) else base
    if not math.isfinite(log_base):
        _fail(f"base {base:g}: log(base) is {log_base:g}, and {c.p.type}Layer's check that it "
              "is finite fails", where)
    if c.p.type == "Log" and log_base == 0:
        _fail(f"base {base:g}: 1/log(base) = 1/0, and LogLayer's check that it is finite "
              "fails", where)
    return [c.b[0]]


# ---------------------------------------------------------------------------
# Losses and accuracy


def _loss_base(c: _Ctx) -> None:
    """LossLayer::Reshape: data and label agree on the first axis; the loss is a scalar."""
    a = _dim(c.b[0], 0, "bottom")
    b = _dim(c.b[1], 0, "bottom")
    if a is not None and b is not None and a != b:
        _fail(f"the data {_fmt(c.b[0])} and label {_fmt(c.b[1])} differ on the first axis: "
              f"Caffe's check \"bottom[0]->shape(0) == bottom[1]->shape(0)\" fails ({a} vs. {b}) "
              f"(The data and label should have the same first dimension.)", "bottom")


def _label_count(c: _Ctx, axis_value: int, field: str, what: str) -> int | None:
    s0, s1 = c.b[0], c.b[1]
    axis = _axis(s0, axis_value, field)
    if axis is None:
        return None
    outer, inner = _count(s0, 0, axis), _count(s0, axis + 1)
    labels = _count(s1)
    expected = _mul(outer, inner)
    if expected is not None and labels is not None and expected != labels:
        _fail(f"{labels} label(s) {_fmt(s1)} for {expected} prediction(s) of {_fmt(s0)} with "
              f"{what} axis {axis}: Caffe's check \"outer_num_ * inner_num_ == "
              f"bottom[1]->count()\" fails ({expected} vs. {labels}) (Number of labels must match "
              f"number of predictions)", "bottom")
    return axis


def _softmax_loss(c: _Ctx) -> list[Shape]:
    axis = c.p.softmax_param.axis
    _axis(c.b[0], axis, "softmax_param.axis")  # the inner Softmax layer's set-up
    _loss_base(c)
    _label_count(c, axis, "softmax_param.axis", "softmax")
    return [(), c.b[0]][:c.ntop]


def _infogain_loss(c: _Ctx) -> list[Shape]:
    if c.p.loss_param.HasField("normalize"):
        _fail("loss_param.normalize: InfogainLossLayer::LayerSetUp's check fails (normalize "
              "is deprecated. use \"normalization\")", "loss_param.normalize")
    axis_value = c.p.infogain_loss_param.axis
    _axis(c.b[0], axis_value, "infogain_loss_param.axis")
    _loss_base(c)
    axis = _label_count(c, axis_value, "infogain_loss_param.axis", "infogain")
    if len(c.b) > 2 and axis is not None:
        k = c.b[0][axis]
        entries = _count(c.b[2])
        if k is not None and entries is not None and entries != k * k:
            _fail(f"the infogain matrix {_fmt(c.b[2])} has {entries} entries for {k} labels: "
                  f"Caffe's check \"infogain->count() == num_labels_*num_labels_\" fails "
                  f"({entries} vs. {k * k})", "bottom")
    return [(), c.b[0]][:c.ntop]


def _euclidean_loss(c: _Ctx) -> list[Shape]:
    _loss_base(c)
    a, b = _count(c.b[0], 1, None, "bottom"), _count(c.b[1], 1, None, "bottom")
    if a is not None and b is not None and a != b:
        _fail(f"the inputs {_fmt(c.b[0])} and {_fmt(c.b[1])} differ in size per item: Caffe's "
              f"check \"bottom[0]->count(1) == bottom[1]->count(1)\" fails ({a} vs. {b}) (Inputs "
              f"must have the same dimension.)", "bottom")
    return [()]


def _sigmoid_cross_entropy_loss(c: _Ctx) -> list[Shape]:
    _loss_base(c)
    a, b = _count(c.b[0]), _count(c.b[1])
    if a is not None and b is not None and a != b:
        _fail(f"the inputs {_fmt(c.b[0])} and {_fmt(c.b[1])} differ in count: Caffe's check "
              f"\"bottom[0]->count() == bottom[1]->count()\" fails ({a} vs. {b})", "bottom")
    return [()]


def _multinomial_logistic_loss(c: _Ctx) -> list[Shape]:
    _loss_base(c)
    s1 = c.b[1]
    for i, name in ((1, "channels"), (2, "height"), (3, "width")):
        d = _legacy(s1, i, "bottom")
        if d is not None and d != 1:
            _fail(f"the label {_fmt(s1)} must be one value per item: Caffe's check "
                  f"\"bottom[1]->{name}() == 1\" fails ({d} vs. 1)", "bottom")
    return [()]


def _contrastive_loss(c: _Ctx) -> list[Shape]:
    s0, s1, s2 = c.b
    checks = ((s0, 1, s1, 1), (s0, 2, None, 1), (s0, 3, None, 1), (s1, 2, None, 1),
              (s1, 3, None, 1), (s2, 1, None, 1), (s2, 2, None, 1), (s2, 3, None, 1))
    names = {1: "channels", 2: "height", 3: "width"}
    for a, i, b, want in checks:
        d = _legacy(a, i, "bottom")
        w = _legacy(b, i, "bottom") if b is not None else want
        if d is not None and w is not None and d != w:
            _fail(f"ContrastiveLoss needs (N, C, 1, 1) pairs and an (N, 1, 1, 1) similarity: "
                  f"{names[i]} {d} vs. {w} (bottoms {_fmt(s0)}, {_fmt(s1)}, {_fmt(s2)})",
                  "bottom")
    _loss_base(c)
    return [()]


def _hinge_loss(c: _Ctx) -> list[Shape]:
    _loss_base(c)
    return [()]


def _accuracy(c: _Ctx) -> list[Shape]:
    q = c.p.accuracy_param
    s0, s1 = c.b
    k = _i32(q.top_k)
    n0, n1 = _count(s0), _count(s1)
    if n1 == 0 and n0 is not None:
        _fail(f"the label {_fmt(s1)} is empty and Accuracy divides by its count (integer "
              f"division by zero crashes)", "bottom")
    if n0 is not None and n1 is not None and not k <= _cdiv(n0, n1):
        _fail(f"top_k {k} exceeds the {_cdiv(n0, n1)} classes of {_fmt(s0)} per label: Caffe's "
              f"check \"top_k_ <= bottom[0]->count() / bottom[1]->count()\" fails (top_k must be "
              f"less than or equal to the number of classes.)", "accuracy_param.top_k")
    axis = _label_count(c, q.axis, "accuracy_param.axis", "label")
    out: list[Shape] = [()]
    if c.ntop > 1:
        out.append(None if axis is None else (s0[axis],))
    return out


# ---------------------------------------------------------------------------
# Recurrent layers


def _recurrent(c: _Ctx) -> list[Shape]:
    """RNN and LSTM: T timesteps of N streams in bottom[0] (T, N, ...), continuation
    markers (T, N) in bottom[1], an optional static input (N, ...); the output is (T, N,
    num_output) and exposed hidden states are (1, N, num_output)."""
    q = c.p.recurrent_param
    lstm = c.p.type == "LSTM"
    x, cont = c.b[0], c.b[1]
    if x is not None and len(x) < 2:
        _fail(f"the input {_fmt(x)} needs at least 2 axes (timesteps, streams): Caffe's check "
              f"\"bottom[0]->num_axes() >= 2\" fails ({len(x)} vs. 2)", "bottom")
    t = None if x is None else x[0]
    n = None if x is None else x[1]
    if cont is not None:
        if len(cont) != 2:
            _fail(f"the continuation markers {_fmt(cont)} need exactly 2 axes (timesteps, "
                  f"streams): Caffe's check \"bottom[1]->num_axes() == 2\" fails ({len(cont)} vs. "
                  f"2)", "bottom")
        for mine, theirs, what in ((t, cont[0], "T_ == bottom[1]->shape(0)"),
                                   (n, cont[1], "N_ == bottom[1]->shape(1)")):
            if mine is not None and theirs is not None and mine != theirs:
                _fail(f"the input {_fmt(x)} and continuation markers {_fmt(cont)} disagree: "
                      f"Caffe's check \"{what}\" fails ({mine} vs. {theirs})", "bottom")
        t = t if t is not None else cont[0]
        n = n if n is not None else cont[1]
    recur = (2 if lstm else 1) if q.expose_hidden else 0
    static = len(c.b) > 2 + recur
    if static:
        xs = c.b[2]
        if xs is not None:
            if len(xs) < 1:
                _fail("the static input is a scalar: Caffe's check \"bottom[2]->num_axes() >= "
                      "1\" fails (0 vs. 1)", "bottom")
            if n is not None and xs[0] is not None and n != xs[0]:
                _fail(f"the static input {_fmt(xs)} has {xs[0]} streams, the input {n}: "
                      f"Caffe's check \"N_ == bottom[2]->shape(0)\" fails", "bottom")
            _axis(xs, 1, "bottom")  # its transform is an InnerProduct from axis 1
    h = _i32(q.num_output)
    if h <= 0:
        _fail(f"num_output {h}: Caffe's check \"num_output > 0\" fails (num_output must be "
              f"positive)", "recurrent_param.num_output")
    if t == 0:
        _fail("the input has 0 timesteps: the unrolled net slices it into no blobs, and Slice's "
              "check \"MinTopBlobs() <= top.size()\" fails (1 vs. 0)", "bottom")
    if x is not None:
        _axis(x, 2, "bottom")  # the input transform is an InnerProduct from axis 2
        k = _count(x, 2)
        _weights(c, (h * (4 if lstm else 1), k), "recurrent_param.num_output")
    if static and c.b[2] is not None:
        _weights(c, (h * (4 if lstm else 1), _count(c.b[2], 1)), "recurrent_param.num_output")
    state = (1, n, h)
    for j in range(recur):
        given = c.b[2 + int(static) + j]
        if _same_shapes(state, given) is False:
            _fail(f"the initial hidden state {_fmt(given)} is not (1, streams, num_output) = "
                  f"{_fmt(state)}: Caffe's check \"recur_input_blobs_[j]->shape() == "
                  f"bottom[i]->shape()\" fails", "bottom")
    return [(t, n, h)] + [state] * recur


def _lstm_unit(c: _Ctx) -> list[Shape]:
    s0, s1, s2 = c.b
    instances = _dim(s0, 1, "bottom")
    for i, s in enumerate(c.b):
        if s is None:
            continue
        want = 2 if i == 2 else 3
        if len(s) != want:
            _fail(f"LSTMUnit bottom[{i}] {_fmt(s)} needs {want} axes: Caffe's check "
                  f"\"{want} == bottom[{i}]->num_axes()\" fails ({want} vs. {len(s)})", "bottom")
        if s[0] is not None and s[0] != 1:
            _fail(f"LSTMUnit bottom[{i}] {_fmt(s)} must hold one timestep: Caffe's check "
                  f"\"1 == bottom[{i}]->shape(0)\" fails (1 vs. {s[0]})", "bottom")
        if instances is not None and s[1] is not None and s[1] != instances:
            _fail(f"LSTMUnit bottom[{i}] {_fmt(s)} has {s[1]} streams, bottom[0] {instances}: "
                  f"Caffe's check \"num_instances == bottom[{i}]->shape(1)\" fails", "bottom")
    hidden = _dim(s0, 2, "bottom")
    gates = _dim(s1, 2, "bottom")
    if hidden is not None and gates is not None and 4 * hidden != gates:
        _fail(f"LSTMUnit gate inputs {_fmt(s1)} must be 4 x the hidden size {hidden}: Caffe's "
              f"check \"4 * hidden_dim_ == bottom[1]->shape(2)\" fails ({4 * hidden} vs. "
              f"{gates})", "bottom")
    return [s0, s0]


def _no_tops(c: _Ctx) -> list[Shape]:
    return []


_RULES: dict[str, Callable[[_Ctx], list[Shape]]] = {
    **{t: _neuron for t in NEURON_TYPES},
    "Exp": _exp_log,
    "Log": _exp_log,
    "PReLU": _prelu,
    "Accuracy": _accuracy,
    "ArgMax": _argmax,
    "BatchNorm": _batch_norm,
    "BatchReindex": _batch_reindex,
    "Bias": _bias,
    "Concat": _concat,
    "ContrastiveLoss": _contrastive_loss,
    "Convolution": _convolution,
    "Crop": _crop,
    "Data": _data,
    "Deconvolution": _deconvolution,
    "DummyData": _dummy_data,
    "Eltwise": _eltwise,
    "Embed": _embed,
    "EuclideanLoss": _euclidean_loss,
    "Filter": _filter,
    "Flatten": _flatten,
    "HDF5Data": _unknown,
    "HDF5Output": _no_tops,
    "HingeLoss": _hinge_loss,
    "Im2col": _im2col,
    "ImageData": _image_data,
    "InfogainLoss": _infogain_loss,
    "InnerProduct": _inner_product,
    "Input": _input,
    "LRN": _lrn,
    "LSTM": _recurrent,
    "LSTMUnit": _lstm_unit,
    "MemoryData": _memory_data,
    "MultinomialLogisticLoss": _multinomial_logistic_loss,
    "MVN": _mvn,
    "Parameter": _parameter,
    "Pooling": _pooling,
    "Reduction": _reduction,
    "Reshape": _reshape,
    "RNN": _recurrent,
    "Scale": _scale,
    "SigmoidCrossEntropyLoss": _sigmoid_cross_entropy_loss,
    "Silence": _no_tops,
    "Slice": _slice,
    "Softmax": _softmax,
    "SoftmaxWithLoss": _softmax_loss,
    "Split": _split,
    "SPP": _spp,
    "Tile": _tile,
    "WindowData": _window_data,
}
