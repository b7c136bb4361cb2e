"""The net model: layers with their locations, phase selection and the blob graph.

Graph facts several rules need live here, computed once per phase view: the net's
usable inputs, the tops Net::AppendTop rejects once InsertSplits has renamed shared
bottoms (and so which in-place layers really work in place), and where a gradient
flows back to.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable, NamedTuple

from protolint.document import Document
from protolint.findings import Location
from protolint.layers import blob_multipliers
from protolint.schema import caffe_pb2
from protolint.textformat import MESSAGE, Message
from protolint.upgrade import UpgradeIssue, net_format, upgrade_net

TRAIN, TEST = 0, 1  # caffe.Phase

# Layers whose output holds their input's values: only the shape changes, or (Dropout)
# some values are zeroed and the rest scaled alike. What feeds them feeds their readers.
VALUE_KEEPING = frozenset({"Reshape", "Flatten", "Split", "Dropout"})
PHASE_NAMES = {TRAIN: "TRAIN", TEST: "TEST"}


class Layer:
    """One layer of the (upgraded) net and the block of text it came from."""

    __slots__ = ("net", "index", "param", "node", "name", "type", "bottoms", "tops",
                 "_multipliers")

    def __init__(self, net: Net, index: int, param, node: Message | None):
        self.net = net
        self.index = index
        self.param = param
        self.node = node
        # Read once: every rule asks, and each protobuf field read builds a new string.
        self.name: str = param.name
        self.type: str = param.type
        self.bottoms: tuple[str, ...] = tuple(param.bottom)
        self.tops: tuple[str, ...] = tuple(param.top)
        self._multipliers: list[tuple[float, float]] | None = None

    @property
    def multipliers(self) -> list[tuple[float, float]]:
        """(lr_mult, decay_mult) of each learnable blob (layers.blob_multipliers), worked
        out once: several rules walk every layer's."""
        if self._multipliers is None:
            self._multipliers = blob_multipliers(self.param)
        return self._multipliers

    def bottom_name(self, index: int) -> str:
        """The name of bottom `index`, "?" when the layer has no such bottom."""
        names = self.bottoms
        return names[index] if index < len(names) else "?"

    def phases_note(self, views) -> str:
        """' (TRAIN)' when a finding holds in only some (`views`) of the phase views that
        include this layer; '' when it holds in all of them."""
        including = [v for v in self.net.views if self in v.layers]
        if len(views) >= len(including):
            return ""
        return f" ({', '.join(dict.fromkeys(v.phase_name for v in views))})"

    @property
    def problems(self) -> list:
        """What BVLC Caffe's parser rejects inside this layer's block (a fork's fields or
        values, a template placeholder): what the layer does is then not BVLC's to say."""
        if self.node is None:
            return []
        return self.net.problems_in.get((self.node.start, self.node.end), [])

    def location(self, path: str | None = None, index: int = 0) -> Location:
        """Where a field of this layer is written (`pooling_param.stride`; `index` picks
        the occurrence of the first component, see Message.find), falling back to its
        enclosing block, then to the layer's name, then the layer's start."""
        doc = self.net.doc
        node = self.node
        if node is None:
            return self.net.location()
        if path:
            parts = path.split(".")
            for depth in range(len(parts), 0, -1):
                found = node.find(".".join(parts[:depth]), index)
                if found is not None:
                    end = found.vend if depth == len(parts) else found.name_end
                    return Location(doc, found.start, end)
        name = node.first("name")
        if name is not None:
            return Location(doc, name.start, name.vend)
        return Location(doc, node.start, node.start + 1)

    def __repr__(self) -> str:
        return f"<Layer {self.index} {self.name!r} {self.type}>"


class Net:
    """A net as Caffe loads it: from a file (V0/V1 upgraded like Caffe does) or inlined
    in a solver (`net_param`, which Caffe does not upgrade).

    `states` are the NetStates it is instantiated in: TRAIN and TEST for a file linted
    on its own, the solver's train/test states for a net a solver uses. `trained` says
    whether a solver trains it, or (on its own) whether it has a loss to train with.
    """

    def __init__(self, doc: Document, param, root: Message, *, upgrade: bool,
                 resolve: Callable[[str], Path | None] = lambda name: None,
                 locate: Callable[[str], tuple[Path | None, list[Path]]] = lambda name: (None, []),
                 input_shapes: dict[str, tuple[int, ...]] | None = None):
        self.doc = doc
        self.resolve = resolve  # a file the net names (a matrix, a list file) -> its path
        self.locate = locate  # the same for a file or directory, with every place tried
        self.input_shapes = input_shapes or {}  # --input-shape: what the files cannot tell
        self.root = root
        self.inline = not upgrade  # written inside a solver, which Caffe never upgrades
        self.format = net_format(param)
        self.upgrade_issues: list[UpgradeIssue] = []
        if upgrade and self.format != "v2":
            param, origin, self.upgrade_issues = upgrade_net(param)
            nodes = root.messages("layers")
        else:
            origin = list(range(len(param.layer)))
            nodes = root.messages("layer")
        self.param = param
        self.layers = [
            Layer(self, i, lp, nodes[origin[i]] if origin[i] < len(nodes) else None)
            for i, lp in enumerate(param.layer)
        ]
        self.states: list = []
        self.solver_trained = False
        self.solver_pretrained = False  # a solver that trains it loads `weights` first
        self.data_reports = None  # what its data sources hold (protolint.data), with --data
        self.data_shapes: dict[int, list] = {}  # layer index -> its tops' shapes, from the data
        self._shared: dict[tuple, object] = {}  # see shared()
        # layer index -> (low, high) of a Data layer's float_data records as read, or None
        # when they are not bounded by what was read (a sample, NaN or inf among them)
        self.data_ranges: dict[int, tuple[float, float] | None] = {}

    def location(self) -> Location:
        return Location(self.doc, self.root.start, self.root.start + 1)

    def shared(self, key: tuple, compute: Callable[[], object]):
        """What `compute` answers for `key`, computed once for every phase view that asks
        with the same key: facts of the graph alone (shapes, clashing tops) are the same
        in views holding the same layers, as TRAIN and TEST of most nets do."""
        if key not in self._shared:
            self._shared[key] = compute()
        return self._shared[key]

    @cached_property
    def problems_in(self) -> dict[tuple[int, int], list]:
        """The file's parse problems by the layer block (start, end) holding them, sorted
        out once: every rule asks each layer, and a fork's file can have thousands."""
        spans = sorted({(l.node.start, l.node.end) for l in self.layers if l.node is not None})
        starts = [start for start, _ in spans]
        found: dict[tuple[int, int], list] = {}
        for problem in self.doc.problems:
            i = bisect_right(starts, problem.start) - 1
            if i >= 0 and problem.start < spans[i][1]:
                found.setdefault(spans[i], []).append(problem)
        return found

    @property
    def inputs(self) -> tuple[str, ...]:
        """The blobs the net has before its first layer. A net file's `input` fields become
        an Input layer at the front (UpgradeNetInput), in every phase, but only with
        `input_shape` or `input_dim`: without either the upgrade just drops them. A
        solver's inline net_param is never upgraded and Net::Init itself ignores `input`."""
        p = self.param
        if self.inline or not p.input or not (p.input_shape or p.input_dim):
            return ()
        return tuple(p.input)

    def per_layer(self, judge: Callable[[PhaseNet, Layer], object]
                  ) -> list[tuple[Layer, list[tuple[PhaseNet, object]]]]:
        """Every layer on which `judge(view, layer)` answers something truthy in at least
        one phase view, in file order, with each (view, answer): a finding about a layer
        is then reported once, naming the phases it holds in."""
        found: dict[int, tuple[Layer, list]] = {}
        for view in self.views:
            for layer in view.layers:
                answer = judge(view, layer)
                if answer:
                    found.setdefault(layer.index, (layer, []))[1].append((view, answer))
        return [found[i] for i in sorted(found)]

    def legacy_location(self, index: int) -> Location:
        """Where the `index`-th `layers { ... }` entry of a V0/V1 file starts."""
        nodes = [f for f in self.root.all("layers") if f.kind == MESSAGE]
        if index < len(nodes):
            return Location(self.doc, nodes[index].start, nodes[index].name_end)
        return self.location()

    def add_state(self, state) -> None:
        key = state.SerializeToString(deterministic=True)
        if all(s.SerializeToString(deterministic=True) != key for s in self.states):
            self.states.append(state)

    def default_states(self) -> None:
        """The states of a net file used on its own: each phase, with the file's own
        stage and level (Caffe's Net(file, phase) constructor overrides only the phase)."""
        for phase in (TRAIN, TEST):
            state = caffe_pb2().NetState()
            state.CopyFrom(self.param.state)
            state.phase = phase
            self.add_state(state)

    @cached_property
    def views(self) -> list[PhaseNet]:
        return [PhaseNet(self, state) for state in self.states]

    def accumulating_batchnorms(self) -> list[Layer]:
        """The BatchNorm layers that keep running statistics while the net trains (batch
        statistics in a view that trains), each once, in file order: those whose
        moving_average_fraction matters (PL220, PL241)."""
        found: dict[int, Layer] = {}
        for view in self.views:
            if not view.trains:
                continue  # the statistics are only accumulated while training
            for layer in view.layers:
                if (layer.type == "BatchNorm" and not layer.problems
                        and not view.global_stats(layer)):
                    found.setdefault(layer.index, layer)
        return [found[i] for i in sorted(found)]


def rule_matches(state, rule) -> bool:
    """Caffe's Net::StateMeetsRule: phase, level bounds, all stages, no not_stage."""
    if rule.HasField("phase") and rule.phase != state.phase:
        return False
    if rule.HasField("min_level") and state.level < rule.min_level:
        return False
    if rule.HasField("max_level") and state.level > rule.max_level:
        return False
    stages = set(state.stage)
    if any(s not in stages for s in rule.stage):
        return False
    return not any(s in stages for s in rule.not_stage)


def layer_included(layer_param, state) -> bool:
    """Caffe's Net::FilterNet for one layer: with include rules, kept when one matches;
    otherwise kept unless an exclude rule matches. (Both kinds at once is a Caffe CHECK
    failure, reported by a rule; here include wins, as in Caffe's loop order.)"""
    if layer_param.include:
        return any(rule_matches(state, r) for r in layer_param.include)
    return not any(rule_matches(state, r) for r in layer_param.exclude)


def is_loss(layer: Layer) -> bool:
    """Loss layers by Caffe's convention: a type ending in Loss, or any loss_weight ≠ 0."""
    return layer.type.endswith("Loss") or any(w != 0 for w in layer.param.loss_weight)


class Edge(NamedTuple):
    """A blob flowing from a producing layer's top to a consuming layer's bottom (a
    tuple: a net has one per bottom and top, built in every phase view)."""

    layer: Layer
    slot: int  # top index for a producer, bottom index for a consumer


class PhaseNet:
    """The layers Caffe instantiates in one NetState, and which layer produces and
    consumes each blob. Blobs are names rewritten in order: an in-place layer (top
    named like its bottom) replaces the blob for every later reader."""

    def __init__(self, net: Net, state):
        self.net = net
        self.state = state
        self.layers = [l for l in net.layers if layer_included(l.param, state)]
        # By layer index (a list, walked in order by every pass: dense, where dicts keyed
        # by (layer, slot) scattered a large net over memory): the producer of each
        # bottom, and the readers of each top.
        self._sources: list[list[Edge | None] | None] = [None] * len(net.layers)
        self._readers: list[dict[int, list[Edge]] | None] = [None] * len(net.layers)
        latest: dict[str, Edge] = {}
        for layer in self.layers:
            sources = self._sources[layer.index] = []
            for b, blob in enumerate(layer.bottoms):
                edge = latest.get(blob)
                sources.append(edge)
                if edge is not None:
                    readers = self._readers[edge.layer.index]
                    if readers is None:
                        readers = self._readers[edge.layer.index] = {}
                    readers.setdefault(edge.slot, []).append(Edge(layer, b))
            for t, blob in enumerate(layer.tops):
                latest[blob] = Edge(layer, t)
        self.outputs = latest

    @property
    def phase(self) -> int:
        return self.state.phase

    def runs_as(self, layer: Layer) -> int:
        """The phase `layer` computes as in this view (Dropout drops, BatchNorm takes batch
        statistics, data layers crop at random only as TRAIN): its own `phase` field when
        written, since Net::Init gives the net's phase only to layers without one."""
        p = layer.param
        return p.phase if p.HasField("phase") else self.state.phase

    def global_stats(self, layer: Layer) -> bool:
        """Whether BatchNorm `layer` normalises with its stored statistics in this view:
        its use_global_stats when written, else whether it runs as TEST
        (BatchNormLayer::LayerSetUp)."""
        bn = layer.param.batch_norm_param
        if bn.HasField("use_global_stats"):
            return bn.use_global_stats
        return self.runs_as(layer) == TEST

    @cached_property
    def shapes(self):
        """Blob shapes and the shape CHECKs Caffe fails in this view (shapes.py). Views
        holding the same layers get the same shapes (nothing in a Reshape depends on the
        phase), so they share one inference: TRAIN and TEST of most nets."""
        from protolint.shapes import infer

        return self.net.shared(("shapes", self.layer_key),
                               lambda: infer(self, self.net.input_shapes))

    @cached_property
    def layer_key(self) -> tuple[int, ...]:
        """Which layers this view holds: views with the same key have the same graph."""
        return tuple(layer.index for layer in self.layers)

    @cached_property
    def ranges(self):
        """The value interval of every blob in this view (ranges.py)."""
        from protolint.ranges import analyse

        return analyse(self)

    @property
    def phase_name(self) -> str:
        return PHASE_NAMES.get(self.state.phase, str(self.state.phase))

    @property
    def trains(self) -> bool:
        """True when this view is the one weights are learned in: a TRAIN state of a net
        a solver trains, or of a net with a loss layer in that state."""
        if self.state.phase != TRAIN:
            return False
        return self.net.solver_trained or self.has_loss

    @cached_property
    def has_loss(self) -> bool:
        return any(is_loss(l) for l in self.layers)

    def source(self, layer: Layer, bottom: int) -> Edge | None:
        """The producer of `layer`'s bottom `bottom`, or None (an input or unknown blob)."""
        sources = self._sources[layer.index]
        return sources[bottom] if sources is not None and 0 <= bottom < len(sources) else None

    def producer(self, layer: Layer, bottom: int = 0) -> Layer | None:
        """The layer whose values reach `layer`'s bottom `bottom`, looking through layers
        that only pass values on (VALUE_KEEPING), or None (an input, an unknown blob)."""
        edge = self.source(layer, bottom)
        seen = set()
        while edge is not None and edge.layer.type in VALUE_KEEPING \
                and edge.layer.index not in seen and edge.layer.bottoms:
            seen.add(edge.layer.index)
            edge = self.source(edge.layer, 0)
        return None if edge is None else edge.layer

    def readers(self, layer: Layer, top: int) -> list[Edge]:
        """The layers that read `layer`'s top `top` before another layer rewrites it."""
        readers = self._readers[layer.index]
        return readers.get(top, []) if readers is not None else []

    # ------------------------------------------------------------ graph facts

    @cached_property
    def clashes(self) -> list[Clash]:
        """Every top Net::AppendTop rejects in this view (after InsertSplits renamed shared
        bottoms), in order (PL214 reports them)."""
        return self.net.shared(("clashes", self.layer_key), self._clashes)

    def _clashes(self) -> list[Clash]:
        inputs = self.net.inputs
        source, count, order, weighted = self._split_counts(inputs)
        by_index = {l.index: l for l in self.layers}
        produced: dict[str, object] = {name: None for name in inputs}
        out = []
        for layer in self.layers:
            for t, blob in enumerate(layer.tops):
                if not layer.type:
                    pass  # an unknown V0 type: Caffe's upgrade aborts before (PL00x)
                elif t < len(layer.bottoms) and layer.bottoms[t] == blob:
                    key = source.get((layer.index, t))
                    if key is not None and count.get(key, 0) > 1:
                        readers = [by_index[i] for i, _ in order[key] if i != layer.index]
                        k = order[key].index((layer.index, t)) + (key in weighted)
                        owner = "input" if key[0] == _INPUT else by_index[key[0]].name
                        split = f"{blob}_{owner}_{key[1]}_split_{k}"  # SplitBlobName
                        others = ", ".join(f"'{r.name}'" for r in dict.fromkeys(readers))
                        also = []
                        if others:
                            also.append(f"also read by {others}")
                        own = sum(i == layer.index for i, _ in order[key])
                        if own > 1:
                            also.append(f"read {own} times by '{layer.name}' itself")
                        if key in weighted:
                            also.append("also a loss output (loss_weight)")
                        out.append(Clash(layer, t, "split", by_index.get(key[0]),
                                         " and ".join(also), split))
                elif blob in produced:
                    earlier = produced[blob]
                    if blob in layer.bottoms:
                        kind = "index"
                    elif earlier is layer:
                        kind = "self"
                    else:
                        kind = "twice"
                    out.append(Clash(layer, t, kind, earlier))
                produced.setdefault(blob, layer)
        return out

    def _split_counts(self, inputs):
        """InsertSplits' bookkeeping: the producer of each bottom ((layer index, top
        index), or (_INPUT, i) for a net input) and how many consumers each produced top
        has (bottoms reading it before it is rewritten, plus one for an explicit nonzero
        loss_weight). A top with more than one consumer is fed through a Split layer:
        each consumer's bottom is renamed to its own copy."""
        last = {name: (_INPUT, i) for i, name in enumerate(inputs)}
        source: dict[tuple[int, int], tuple[int, int]] = {}
        count: dict[tuple[int, int], int] = {}
        order: dict[tuple[int, int], list[tuple[int, int]]] = {}
        weighted: set[tuple[int, int]] = set()
        for layer in self.layers:
            p = layer.param
            for b, blob in enumerate(layer.bottoms):
                key = last.get(blob)
                if key is None:
                    continue  # an unknown bottom: PL213
                source[(layer.index, b)] = key
                count[key] = count.get(key, 0) + 1
                order.setdefault(key, []).append((layer.index, b))
            for t, blob in enumerate(layer.tops):
                last[blob] = (layer.index, t)
            for t in range(min(len(p.loss_weight), len(layer.tops))):
                key = last[layer.tops[t]]
                if p.loss_weight[t]:
                    count[key] = count.get(key, 0) + 1
                    weighted.add(key)
        return source, count, order, weighted

    @cached_property
    def _broken_in_place(self) -> set[tuple[int, int]]:
        """(layer index, top index) of tops written like in-place ones that Caffe rejects."""
        return {(c.layer.index, c.top) for c in self.clashes if c.kind == "split"}

    def in_place(self, layer: Layer) -> bool:
        """Whether `layer` computes in place on its first bottom as Caffe builds it: its
        top 0 is named like its bottom 0, that blob exists (an earlier top or a net input:
        else Caffe aborts on the unknown bottom first, PL213), and InsertSplits leaves it
        in place (else AppendTop aborts first, PL214)."""
        if not layer.bottoms or not layer.tops or layer.tops[0] != layer.bottoms[0]:
            return False
        if self.source(layer, 0) is None and layer.bottoms[0] not in self.net.inputs:
            return False
        return (layer.index, 0) not in self._broken_in_place

    def needs_gradient(self, layer: Layer, bottom: int, _memo=None) -> bool:
        """Whether Caffe back-propagates into this bottom while training: some layer it
        comes from (transitively) has a learnable blob with lr_mult != 0 (Net::Init's
        blob_need_backward, ignoring force_backward and propagate_down)."""
        memo = {} if _memo is None else _memo
        edge = self.source(layer, bottom)
        if edge is None:
            return False
        src = edge.layer
        if src.index in memo:
            return memo[src.index]
        memo[src.index] = False
        learns = any(lr != 0 for lr, _ in src.multipliers)
        result = learns or any(self.needs_gradient(src, i, memo)
                               for i in range(len(src.bottoms)))
        memo[src.index] = result
        return result


_INPUT = -1  # the Input layer UpgradeNetInput puts first for a file's `input` fields


@dataclass(frozen=True)
class Clash:
    """A top Net::AppendTop rejects (Top blob produced by multiple sources)."""

    layer: Layer
    top: int
    kind: str  # "twice", "self", "index" or "split"
    other: Layer | None  # the first producer of the name (None for a net input)
    shared: str = ""  # "split": who else consumes the blob
    copy: str = ""  # "split": the name of the Split copy the layer reads instead
