"""BatchNorm with a learning rate on its statistics: Caffe aborts."""

from protolint.findings import Report, Severity

CODE = "PL204"
NAME = "batchnorm-learned-statistics"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "BatchNorm `param` with lr_mult other than 0: Caffe aborts at set-up"

STATISTIC_BLOBS = ("mean", "variance", "moving-average factor")


def check(net):
    for layer in net.layers:
        if layer.type != "BatchNorm" or layer.problems:
            continue  # a fork's BatchNorm (e.g. NVIDIA's scale_filler) has learnable blobs
        specs = layer.param.param
        if len(specs) == 3 and not net.inline:
            continue  # the deprecated form Caffe's upgrade zeroes (PL205)
        for i, spec in enumerate(specs[:3]):
            if spec.lr_mult == 0:
                continue
            written = "is" if spec.HasField("lr_mult") else "defaults to"
            yield Report(
                layer.location("param.lr_mult" if spec.HasField("lr_mult") else "param", i),
                f"BatchNorm '{layer.name}': param #{i + 1} (its {STATISTIC_BLOBS[i]} blob) "
                f"lr_mult {written} {spec.lr_mult:g}; BatchNormLayer::LayerSetUp requires 0 "
                "and aborts (\"Cannot configure batch normalization statistics as layer "
                "parameters\")",
                "delete the `param { ... }` blocks of BatchNorm layers: Caffe fixes their "
                "learning rate at 0 itself (learn scale and shift with a Scale layer)",
            )
