"""A net file named by a solver that cannot be found or used."""

from protolint.findings import Report, Severity

CODE = "PL010"
NAME = "net-not-found"
SEVERITY = Severity.WARNING
TARGET = "solver"
SUMMARY = "a net file the solver names cannot be found, so it was not linted"


def check(solver):
    for use in solver.uses:
        if use.net is not None or not use.problem or use.problem.startswith("does not parse"):
            continue
        f = use.field
        location = solver.doc.location(f.vstart, f.vend)
        if use.problem == "not found":
            tried = "\n".join(f"  {p}" for p in use.searched)
            yield Report(
                location,
                f"{use.role} net file not found; looked in:\n{tried}",
                "Caffe opens this path relative to the directory it is run from: run "
                "protolint from there, or pass that directory with --root DIR",
            )
        else:
            yield Report(location, f"{use.role} net file {use.searched[0]} {use.problem}",
                         "point the solver at a net prototxt file")
