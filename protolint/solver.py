"""The solver model: its parameters and the nets it trains and tests.

The nets are found the way Caffe's Solver::InitTrainNet and InitTestNets find them:
one training net from `net`, `net_param`, `train_net` or `train_net_param`; test nets
from each `test_net_param` and `test_net`, then one instance of the generic net
(`net`/`net_param`) for every remaining `test_iter`. Each use carries the NetState
Caffe builds for it (phase, then the net file's own state, then train_state/test_state).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from protolint.document import Document
from protolint.findings import Location
from protolint.layers import learnable_params, loss_weights
from protolint.messages import text_of
from protolint.net import TEST, TRAIN, Net, PhaseNet
from protolint.schedule import Schedule
from protolint.schema import caffe_pb2
from protolint.textformat import NUMBER, Field

if TYPE_CHECKING:
    from protolint.project import Project

TRAIN_SOURCES = ("net", "net_param", "train_net", "train_net_param")

# The deprecated `solver_type` enum and the `type` string Caffe's UpgradeSolverType
# turns each value into.
LEGACY_SOLVER_TYPES = {0: "SGD", 1: "Nesterov", 2: "AdaGrad", 3: "RMSProp", 4: "AdaDelta", 5: "Adam"}


# How far a solver without max_iter is judged (see Solver.judged_horizon).
OPEN_HORIZON = 10**8


@dataclass
class NetUse:
    """One net the solver builds: `role` is "train" or "test"; `field` the solver field
    naming it. `net` is None when the file could not be found or read (`searched` lists
    the paths tried, `problem` says what went wrong); a net file found has `searched`
    holding where."""

    role: str
    field: Field
    net: Net | None = None
    state: object = None  # the caffe.NetState Caffe builds the net in for this use
    searched: list[str] = field(default_factory=list)
    problem: str = ""


class Solver:
    def __init__(self, doc: Document, project: Project):
        self.doc = doc
        self.param = doc.message
        self.uses: list[NetUse] = []
        root = doc.tree.root
        param = self.param
        train_fields = [f for f in map(root.first, TRAIN_SOURCES) if f is not None]
        for f in train_fields:
            self._use("train", f, project, param.train_state)
        explicit_tests = root.all("test_net_param") + root.all("test_net")
        generic = [f for f in train_fields if f.name in ("net", "net_param")]
        generic_count = max(len(param.test_iter) - len(explicit_tests), 0) if generic else 0
        tests = explicit_tests + generic[:1] * generic_count
        for i, f in enumerate(tests):
            state = param.test_state[i] if i < len(param.test_state) else None
            self._use("test", f, project, state)

    @property
    def type(self) -> str:
        """The solver type Caffe runs: `type`, else the legacy `solver_type`, else SGD."""
        if self.param.HasField("type") or not self.param.HasField("solver_type"):
            return self.param.type
        return LEGACY_SOLVER_TYPES.get(self.param.solver_type, "SGD")

    @cached_property
    def schedule(self) -> Schedule:
        return Schedule(self.param)

    @property
    def horizon(self) -> int | None:
        """The iterations `caffe train` runs, [0, max_iter), or None when it runs none."""
        return self.param.max_iter if self.param.max_iter > 0 else None

    @property
    def judged_horizon(self) -> int | None:
        """How far the schedule rules look: max_iter, or without it OPEN_HORIZON (`caffe
        train` then runs nothing, PL127, but a script's solver.step(n) runs as many
        iterations as it asks for). None for poly without max_iter: its rate is NaN,
        then inf, which PL101 reports."""
        if self.horizon is not None:
            return self.horizon
        return None if self.param.lr_policy == "poly" else OPEN_HORIZON

    @property
    def run_text(self) -> str:
        """The run the schedule rules judge, in words."""
        if self.horizon is not None:
            return f"the {self.horizon} iterations (max_iter)"
        return (f"a run without max_iter (judged over {OPEN_HORIZON:.0e} iterations, as a "
                "script calling solver.step may run)")

    def first_nonfinite_rate(self) -> int | None:
        """The first iteration of the run, [0, max_iter), whose rate is NaN or +-inf
        (PL108's error, which PL107 defers to); None also when the schedule aborts,
        max_iter is unset (a rate rising to inf in a run of unknown length is PL107's
        warning) or base_lr is NaN, which other rules report (PL102, ...)."""
        if self.horizon is None or math.isnan(self.param.base_lr):
            return None
        return self.schedule.first_nonfinite(self.horizon)

    def peak_rate(self) -> float | None:
        """The largest learning rate over [0, max_iter); base_lr itself when there is no
        horizon or the schedule aborts (other rules report that); None when NaN."""
        base_lr = self.param.base_lr
        if self.schedule.abort is not None or self.horizon is None:
            return None if math.isnan(base_lr) else base_lr
        peak = self.schedule.extremes(0, self.horizon)[1]
        return None if math.isnan(peak) else peak

    def largest_multipliers(self) -> tuple[float, float]:
        """(largest lr_mult of a learnable blob, largest loss weight) of the training
        net(s); (1, 1), Caffe's defaults, for what cannot be seen."""
        lr_mults = [lr for view in self.train_views()
                    for lr, _, _ in learnable_params(view.layers)]
        weights = [w for view in self.train_views() for layer in view.layers
                   for w in loss_weights(layer.param)]
        return max(lr_mults, default=1.0), max(weights, default=1.0)

    def train_views(self) -> list[PhaseNet]:
        """The training net(s) as Caffe instantiates them for this solver."""
        return [view for _, view in self.views_for("train")]

    def views_for(self, role: str) -> list[tuple[NetUse, PhaseNet]]:
        """Each net of `role` ("train" or "test") the solver builds, with its use, in the
        NetState Caffe builds it in."""
        return [(use, view) for use in self.uses if use.role == role and use.net is not None
                for view in use.net.views if view.state == use.state]

    def test_net_counts(self) -> tuple[int, bool | None]:
        """(number of test_net + test_net_param entries, whether a generic net (net or
        net_param) is given), as Solver::InitTestNets counts them. The second is None when
        the solver does not name exactly one training net: Solver::InitTrainNet aborts
        before the test nets are looked at, and which net was meant is unknown."""
        param = self.param
        explicit = len(param.test_net) + len(param.test_net_param)
        if sum(param.HasField(name) for name in TRAIN_SOURCES) != 1:
            return explicit, None
        return explicit, param.HasField("net") or param.HasField("net_param")

    def field(self, name: str) -> Field | None:
        """The located top-level field `name`, if the file writes it."""
        return self.doc.tree.root.first(name)

    def unreadable(self, name: str) -> bool:
        """Whether the file writes `name` with a value that was not read (PL004 says why):
        rules about that field's value then have nothing to judge."""
        return self.field(name) is not None and not self.param.HasField(name)

    def shown(self, name: str, value: float, fires: Callable[[float], bool]) -> str:
        """The float field `name` (stored as `value`) as a rule's message shows it: as
        written when the written number itself makes the rule fire (`fires`), else saying
        that float32 rounding is what does ("0.99999999 (stored as the float32 1)");
        `value` (%g) when the field is not written as a number."""
        f = self.field(name)
        if f is None or f.kind != NUMBER:
            return f"{value:g}"
        try:
            written = float(f.value)
        except ValueError:
            return f"{value:g}"
        if fires(written):
            return f.value
        return f"{f.value} (stored as the float32 {value:g})"

    def location(self, name: str | None = None) -> Location:
        """Where `name` is written (its whole `name: value`), else the file's start."""
        found = self.field(name) if name else None
        if found is None:
            return Location(self.doc, 0, 0)
        return Location(self.doc, found.start, found.vend)

    @property
    def run_directory(self) -> Path | None:
        """The directory Caffe presumably runs from, which it opens every relative path
        against: the one the train net's relative path was found under. None for an
        inline or absolute train net, or one not found."""
        for use in self.uses:
            if use.role != "train" or use.net is None or use.net.inline:
                continue
            name = Path(text_of(use.field))
            if name.parts and not name.is_absolute():
                return Path(use.searched[0]).parents[len(name.parts) - 1]
        return None

    @property
    def nets(self) -> list[Net]:
        seen: list[Net] = []
        for use in self.uses:
            if use.net is not None and use.net not in seen:
                seen.append(use.net)
        return seen

    def _use(self, role: str, f: Field, project: Project, solver_state) -> None:
        use = NetUse(role, f)
        self.uses.append(use)
        if f.name.endswith("_param"):
            use.net = project.inline_net(self.doc, f)
        else:
            path = text_of(f)
            if path is None:
                return  # not a string: already an invalid-value finding
            use.net, use.searched, use.problem = project.net_file(path, self.doc.path)
        if use.net is None:
            return
        state = caffe_pb2().NetState()
        state.phase = TRAIN if role == "train" else TEST
        state.MergeFrom(use.net.param.state)
        if solver_state is not None:
            state.MergeFrom(solver_state)
        use.net.add_state(state)
        use.state = state
        if role == "train":
            use.net.solver_trained = True
            use.net.solver_pretrained |= bool(self.param.weights)


def search_paths(name: str, cwd: Path, owner_dir: Path, roots: list[Path]) -> list[Path]:
    """Where Caffe (run from some directory) might find a net file named in a solver:
    the working directory first, then the solver's directory and each of its parents
    (solvers are usually run from a repository root above them), then each --root."""
    target = Path(name)
    if target.is_absolute():
        return [target]
    bases = [cwd, owner_dir, *owner_dir.parents, *roots]
    found: list[Path] = []
    for base in bases:
        candidate = base / target
        if candidate not in found:
            found.append(candidate)
    return found
