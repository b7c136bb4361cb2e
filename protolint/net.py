"""The net model: layers with their locations, phase selection and the blob graph."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable

from protolint.document import Document
from protolint.findings import Location
from protolint.schema import caffe_pb2
from protolint.textformat import MESSAGE, Message
from protolint.upgrade import UpgradeIssue, net_format, upgrade_net

TRAIN, TEST = 0, 1  # caffe.Phase
PHASE_NAMES = {TRAIN: "TRAIN", TEST: "TEST"}


class Layer:
    """One layer of the (upgraded) net and the block of text it came from."""

    __slots__ = ("net", "index", "param", "node")

    def __init__(self, net: Net, index: int, param, node: Message | None):
        self.net = net
        self.index = index
        self.param = param
        self.node = node

    @property
    def name(self) -> str:
        return self.param.name

    @property
    def type(self) -> str:
        return self.param.type

    @property
    def problems(self) -> list:
        """What BVLC Caffe's parser rejects inside this layer's block (a fork's fields or
        values, a template placeholder): what the layer does is then not BVLC's to say."""
        if self.node is None:
            return []
        return [p for p in self.net.doc.problems if self.node.start <= p.start < self.node.end]

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
                 input_shapes: dict[str, tuple[int, ...]] | None = None):
        self.doc = doc
        self.resolve = resolve  # a file the net names (a data source, a matrix) -> its path
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

    def location(self) -> Location:
        return Location(self.doc, self.root.start, self.root.start + 1)

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


def is_loss(layer_param) -> bool:
    """Loss layers by Caffe's convention: a type ending in Loss, or any loss_weight ≠ 0."""
    return layer_param.type.endswith("Loss") or any(w != 0 for w in layer_param.loss_weight)


@dataclass(frozen=True)
class Edge:
    """A blob flowing from a producing layer's top to a consuming layer's bottom."""

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
        self._source: dict[tuple[int, int], Edge | None] = {}
        self._readers: dict[tuple[int, int], list[Edge]] = {}
        latest: dict[str, Edge] = {}
        for layer in self.layers:
            for b, blob in enumerate(layer.param.bottom):
                edge = latest.get(blob)
                self._source[(layer.index, b)] = edge
                if edge is not None:
                    self._readers.setdefault((edge.layer.index, edge.slot), []).append(
                        Edge(layer, b))
            for t, blob in enumerate(layer.param.top):
                latest[blob] = Edge(layer, t)
        self.outputs = latest

    @property
    def phase(self) -> int:
        return self.state.phase

    @cached_property
    def shapes(self):
        """Blob shapes and the shape CHECKs Caffe fails in this view (shapes.py)."""
        from protolint.shapes import infer

        return infer(self, self.net.input_shapes)

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
        return self.net.solver_trained or any(is_loss(l.param) for l in self.layers)

    def source(self, layer: Layer, bottom: int) -> Edge | None:
        """The producer of `layer`'s bottom `bottom`, or None (an input or unknown blob)."""
        return self._source.get((layer.index, bottom))

    def readers(self, layer: Layer, top: int) -> list[Edge]:
        """The layers that read `layer`'s top `top` before another layer rewrites it."""
        return self._readers.get((layer.index, top), [])
