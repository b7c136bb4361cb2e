"""A layer with both include and exclude rules: Caffe aborts building any net from it."""

from __future__ import annotations

from protolint.findings import Report, Severity

CODE = "PL218"
NAME = "include-and-exclude"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "a layer with both include and exclude rules: Net::FilterNet aborts in every phase"


def check(net):
    for layer in net.layers:
        p = layer.param
        if not (p.include and p.exclude):
            continue
        yield Report(
            layer.location("exclude"),
            f"{layer.type} '{layer.name}' has {len(p.include)} include and {len(p.exclude)} "
            "exclude rule(s): Net::FilterNet CHECKs that a layer has only one kind before it "
            "looks at the phase, so building this net aborts in every phase (Specify either "
            "include rules or exclude rules; not both)",
            "keep one kind: list the states the layer belongs to with `include` rules, or "
            "the states it is left out of with `exclude` rules",
            related=((layer.location("include"), "the include rule"),),
        )
