"""A layer whose learnable blobs differ between the training net and a test net."""

from protolint.findings import Report, Severity
from protolint.layers import learnable_blob_count
from protolint.shapes import shape_text

CODE = "PL135"
NAME = "test-net-weights-differ"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = ("a layer named alike in the training and a test net with weights of another "
           "shape or number: the first test aborts sharing them")


def _differ(train_view, layer, test_view, twin) -> str | None:
    """What Net::ShareTrainedLayersWith finds different between the two layers, or None."""
    mine, theirs = learnable_blob_count(layer.param), learnable_blob_count(twin.param)
    if mine is None or theirs is None:
        return None
    if mine != theirs:
        return (f"{mine} learnable blob(s) in training but {theirs} in the test net "
                "(Incompatible number of blobs for layer)")
    ours = train_view.shapes.params.get(layer.index)
    other = test_view.shapes.params.get(twin.index)
    if not ours or not other:
        return None
    for j, (a, b) in enumerate(zip(ours, other)):
        if None in a or None in b or a == b:
            continue
        return (f"blob {j} is {shape_text(a)} in training but {shape_text(b)} in the test "
                f"net (Cannot share param {j} weights from layer; shape mismatch)")
    return None


def check(solver):
    if solver.param.test_interval <= 0:
        return  # no test is ever run
    trains = solver.views_for("train")
    if len(trains) != 1:
        return  # Solver::InitTrainNet aborts first (PL129)
    _, train_view = trains[0]
    reported = set()
    for test_use, test_view in solver.views_for("test"):
        first_named = {}
        for layer in test_view.layers:
            first_named.setdefault(layer.name, layer)
        for layer in train_view.layers:
            twin = first_named.get(layer.name)
            if twin is None or layer.problems or twin.problems:
                continue
            why = _differ(train_view, layer, test_view, twin)
            if why is None or (twin.location(), why) in reported:
                continue
            reported.add((twin.location(), why))
            when = ("at iteration 0 (test_initialization)" if solver.param.test_initialization
                    else f"at iteration {solver.param.test_interval}")
            yield Report(
                twin.location(),
                f"{layer.type} '{layer.name}': {why}. Before each test Solver::Test calls "
                "Net::ShareTrainedLayersWith, which gives every test-net layer the trained "
                f"weights of the training layer of the same name; its check fails {when} "
                "and Caffe aborts",
                "give the layer inputs of the same size in both nets (the same crop_size, "
                "input shape or num_output), or name it differently in one of them if it "
                "is meant to have weights of its own",
                related=(() if layer.location() == twin.location()
                         else ((layer.location(), "the training net's layer"),)),
            )
