"""`lr_policy` missing or not one of the seven BVLC Caffe policies: Caffe stops."""

from protolint.findings import Report, Severity
from protolint.messages import close_names, text_of
from protolint.schedule import POLICIES

CODE = "PL111"
NAME = "unknown-lr-policy"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "lr_policy missing or not a BVLC Caffe policy: Caffe stops at the first update"

# Policies that solvers written for Caffe forks use: no did-you-mean for these.
FORK_POLICIES = ("vstep", "multifixed", "plateau", "stepearly")

_LIST = ", ".join(POLICIES)


def check(solver):
    abort = solver.schedule.abort
    if abort is None or abort.field != "lr_policy":
        return
    written = solver.field("lr_policy")
    policy = solver.param.lr_policy
    fatal = ('SGDSolver::GetLearningRate stops Caffe with "Unknown learning rate policy" '
             "at the first update")
    if written is None:
        yield Report(
            solver.location("lr_policy"),
            f"lr_policy is not set: it has no default (the empty string), so {fatal}",
            'set lr_policy, e.g. lr_policy: "fixed" for a constant rate, or "step" with '
            "gamma and stepsize",
        )
        return
    if text_of(written) is None:
        return  # not a valid string: the file does not parse, another finding says so
    if policy == "":
        what = "lr_policy is the empty string"
    else:
        what = f'lr_policy "{policy}" is not a policy of BVLC Caffe'
    message = f"{what} ({_LIST}; names are case-sensitive): {fatal}"
    close = () if policy in FORK_POLICIES else close_names(policy, POLICIES)
    if close:
        message += f'; did you mean "{close[0]}"?'
        fix = f'write lr_policy: "{close[0]}"'
    elif policy in FORK_POLICIES:
        message += "; it is a policy added by some Caffe forks, which only those forks run"
        fix = (f"run the solver with the fork it was written for, or rewrite the schedule "
               f"with one of {_LIST}")
    else:
        fix = f"use one of {_LIST}"
    yield Report(solver.location("lr_policy"), message, fix)
