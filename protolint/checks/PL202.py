"""InfogainLoss fed probabilities from a Softmax: BVLC Caffe applies softmax again."""

from protolint.findings import Report, Severity

CODE = "PL202"
NAME = "infogain-after-softmax"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "InfogainLoss fed a Softmax output: BVLC Caffe applies softmax twice"


def check(net):
    for view in net.views:
        for layer in view.layers:
            if layer.type != "InfogainLoss" or not layer.param.bottom:
                continue
            edge = view.source(layer, 0)
            if edge is None or edge.layer.type != "Softmax":
                continue
            softmax = edge.layer
            yield Report(
                layer.location("bottom"),
                f"InfogainLoss '{layer.name}' is fed '{layer.param.bottom[0]}', the output "
                f"of Softmax '{softmax.name}': BVLC Caffe's InfogainLoss (since 1.0) runs its "
                "own softmax on its first input, so the probabilities are squashed twice and "
                "the loss barely responds to the scores",
                f"feed InfogainLoss the raw scores (Softmax '{softmax.name}''s bottom "
                f"'{softmax.param.bottom[0] if softmax.param.bottom else '?'}'); keep the "
                "Softmax only for a separate probability output",
                related=((softmax.location(), "the Softmax whose output is normalised again"),),
            )
