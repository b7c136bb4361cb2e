"""multistep stepvalues out of order, repeated, or past max_iter."""

from protolint.findings import Location, Report, Severity

CODE = "PL110"
NAME = "multistep-stepvalues"
SEVERITY = Severity.WARNING
TARGET = "solver"
SUMMARY = "multistep stepvalue unsorted, repeated or above max_iter: it fires late or never"

_SHOWN = 8  # change iterations listed in a message


def _locations(solver, count):
    """The location of each stepvalue, in file order (list syntax included)."""
    fields = solver.doc.tree.root.all("stepvalue")
    if len(fields) != count:  # a value that did not parse: point at the first one
        return [solver.location("stepvalue")] * count
    return [Location(solver.doc, f.start if f.list_start < 0 else f.vstart, f.vend)
            for f in fields]


def _listing(changes):
    shown = ", ".join(str(c) for c in changes[:_SHOWN])
    return shown + (", ..." if len(changes) > _SHOWN else "")


def check(solver):
    param = solver.param
    if param.lr_policy != "multistep" or not param.stepvalue:
        return
    values = list(param.stepvalue)
    changes = solver.schedule.multistep_changes
    horizon = solver.horizon
    locations = _locations(solver, len(values))
    for i in solver.schedule.misplaced_steps(horizon):
        value, change = values[i], changes[i]
        late = change != value
        never = horizon is not None and change >= horizon
        if not late:
            message = (f"stepvalue {value} is above max_iter {horizon}: training stops at "
                       f"iteration {horizon}, so this step never happens")
            if solver.schedule.abort is None:
                message += f" and the rate stays {solver.schedule.rate(horizon - 1):g} to the end"
            fix = f"lower it below max_iter ({horizon}) or remove it"
        else:
            previous = values[i - 1]
            if value < previous:
                order = f"is below the stepvalue before it ({previous})"
            elif value == previous:
                order = f"repeats the stepvalue before it ({previous})"
            else:
                order = "comes after stepvalues that were themselves delayed"
            message = (f"stepvalue {value} {order}: Caffe's multistep takes one step per "
                       "iteration at most, in file order, so this step happens at iteration "
                       f"{change}, not {value} (the steps happen at iterations "
                       f"{_listing(changes)})")
            if never:
                message += f"; that is not below max_iter {horizon}, so it never happens"
            fix = "list the stepvalues in increasing order, each once"
        yield Report(locations[i], message, fix)
