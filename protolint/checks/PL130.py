"""A V0/V1 net (`layers { ... }`) written inline in a solver: Caffe never upgrades it."""

from protolint.findings import Report, Severity
from protolint.textformat import MESSAGE

CODE = "PL130"
NAME = "inline-legacy-net"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = ("a net inlined in the solver uses the V0/V1 `layers { ... }` format, which Caffe "
           "only upgrades in net files: its layers are never built")

_FORMAT = {"v1": "V1", "v0": "V0"}


def check(solver):
    seen = []
    for use in solver.uses:
        net = use.net
        if net is None or not net.inline or net.format not in _FORMAT or net in seen:
            continue
        seen.append(net)
        legacy = len(net.param.layers)
        built = len(net.param.layer)
        fmt = _FORMAT[net.format]
        if built:
            effect = (f"only its {built} `layer` "
                      f"{'entry is' if built == 1 else 'entries are'} built and its "
                      f"{legacy} `layers` {'entry is' if legacy == 1 else 'entries are'} "
                      "silently dropped, so the net "
                      "Caffe trains is not the one written (and layers that read a dropped "
                      "layer's output abort on an unknown bottom)")
        else:
            effect = ("it is built with 0 layers (no data, no loss, no weights), and the "
                      "first forward pass, of a test or of the first training iteration, "
                      "aborts on a CHECK in Net::ForwardFromTo (end = -1 for an empty net)")
        f = use.field
        yield Report(
            solver.doc.location(f.start, f.name_end if f.kind == MESSAGE else f.vend),
            f"{f.name} holds a {fmt}-format net ({legacy} `layers {{ ... }}` "
            f"entr{'y' if legacy == 1 else 'ies'}): Caffe upgrades legacy nets only when it "
            "reads a net file (ReadNetParamsFromTextFileOrDie); Solver::InitTrainNet and "
            "InitTestNets copy an inline net as written, so Net::Init, which reads only "
            f"`layer` entries, ignores them: {effect}",
            f"move the net to its own file and name it with `{_file_field(f.name)}: "
            "\"...\"` (Caffe upgrades files on load), or convert it with Caffe's "
            "upgrade_net_proto_text and paste the `layer { ... }` result back",
            related=((net.legacy_location(0), f"the first `layers` entry ({fmt} format)"),),
        )


def _file_field(name: str) -> str:
    """The solver field that names a file for the role of an inline field."""
    return name[: -len("_param")]
