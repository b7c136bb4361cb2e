"""InfogainLoss fed the wrong kind of input for the Caffe it runs on: probabilities from a
Softmax on BVLC Caffe 1.0 and later (softmax applied twice), raw scores on older Caffe."""

from protolint.findings import Report, Severity

CODE = "PL202"
NAME = "infogain-after-softmax"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = ("InfogainLoss fed a Softmax output (BVLC Caffe 1.0+ applies softmax twice), or "
           "raw scores when configured for the older Caffe that takes probabilities")


def _after_softmax(view, layer):
    softmax = view.producer(layer)
    if softmax is None or softmax.type != "Softmax" or softmax.problems:
        return None
    return Report(
        layer.location("bottom"),
        f"InfogainLoss '{layer.name}' is fed '{layer.bottoms[0]}', the output "
        f"of Softmax '{softmax.name}'{_via(view, layer, softmax)}: BVLC Caffe's "
        "InfogainLoss (since 1.0) runs its own softmax on its first input, so the "
        "probabilities are squashed twice and the loss barely responds to the scores",
        f"feed InfogainLoss the raw scores (Softmax '{softmax.name}''s bottom "
        f"'{softmax.bottom_name(0)}'); keep the "
        "Softmax only for a separate probability output; if this net runs on a Caffe "
        "older than 1.0 (or a fork that kept its InfogainLoss), set infogain-input = "
        "\"probabilities\" in the protolint configuration",
        related=((softmax.location(), "the Softmax whose output is normalised again"),),
    )


def _via(view, layer, producer) -> str:
    """' (through Dropout 'drop')' when the values came through value-keeping layers."""
    edge = view.source(layer, 0)
    if edge is None or edge.layer is producer:
        return ""
    return f" (through {edge.layer.type} '{edge.layer.name}')"


def _on_scores(view, layer):
    found = view.ranges.not_probabilities(layer, 0)
    if found is None:
        return None
    producer, interval = found
    return Report(
        layer.location("bottom"),
        f"InfogainLoss '{layer.name}' is fed '{layer.bottoms[0]}' (from "
        f"{producer.type} '{producer.name}', values in {interval}), but the configured "
        "Caffe (infogain-input = \"probabilities\": before 1.0) takes the log of its "
        "first input directly: inputs above 1 make log(p) > 0, so the loss goes negative "
        "without a lower bound, and inputs below 1e-20 (0 or negative scores) are "
        "clamped to 1e-20, where the gradient -H/p is -1e20 times the matrix entry",
        f"put a Softmax between '{producer.name}' and the InfogainLoss; if the net runs "
        "on BVLC Caffe 1.0 or later, set infogain-input = \"scores\" (the default) "
        "instead: that InfogainLoss applies softmax itself",
        related=((producer.location(), "where the raw scores come from"),),
    )


def check(net):
    wrong = _on_scores if net.doc.config.infogain_input == "probabilities" else _after_softmax
    for view in net.views:
        for layer in view.layers:
            if layer.type != "InfogainLoss" or not layer.bottoms or layer.problems:
                continue  # a fork's InfogainLoss (a field BVLC lacks) may take either input
            report = wrong(view, layer)
            if report is not None:
                yield report
