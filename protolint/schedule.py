"""The learning rate Caffe uses at every iteration, without running anything.

`SGDSolver::GetLearningRate` (src/caffe/solvers/sgd_solver.cpp) in single precision,
operation by operation: `pow(float, int)` is evaluated in double and rounded once
(step, exp, multistep), `pow(float, float)` and `exp(float)` are float functions (inv,
poly, sigmoid), and every product, sum and quotient of floats is rounded to float.
Its CHECKs are kept too: a schedule Caffe would abort on has `abort` set.

Every policy's rate is a monotone function of the iteration (the step count, the
iteration itself, 1 - iter/max_iter, exp(-gamma * (iter - stepsize)) all move one way),
so questions about a range of iterations (extremes, the first NaN, inf, zero or
negative rate, where it increases) are answered from its ends and by bisection: a
handful of evaluations, never a loop over max_iter.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from dataclasses import dataclass
from typing import Callable

from protolint.floats import cexp, cpow, f32, ieee_div

POLICIES = ("fixed", "step", "exp", "inv", "multistep", "poly", "sigmoid")


@dataclass(frozen=True)
class Abort:
    """A CHECK failure (or fatal error) Caffe hits at the first update."""

    message: str  # Caffe's words
    field: str  # the solver field responsible


class ScheduleAborts(Exception):
    def __init__(self, abort: Abort):
        super().__init__(abort.message)
        self.abort = abort


class Schedule:
    """The rate of a SolverParameter's learning-rate policy at any iteration."""

    def __init__(self, param):
        self.policy = param.lr_policy
        self.base_lr = param.base_lr
        self.gamma = param.gamma
        self.power = param.power
        self.stepsize = param.stepsize
        self.max_iter = param.max_iter
        self.stepvalues = list(param.stepvalue)
        self.abort = self._check()
        self._steps = self._multistep_changes() if self.policy == "multistep" else []

    def _check(self) -> Abort | None:
        """What GetLearningRate CHECKs for this policy, in Caffe's order."""
        policy = self.policy
        gamma_ok = self.gamma >= 0  # False for NaN too, as in CHECK_GE
        if policy not in POLICIES:
            return Abort(f"Unknown learning rate policy: {policy}", "lr_policy")
        if policy == "step" and not self.stepsize > 0:
            return Abort(f"Check failed: this->param_.stepsize() > 0 ({self.stepsize} vs. 0)",
                         "stepsize")
        if policy in ("step", "exp", "inv", "multistep", "sigmoid") and not gamma_ok:
            return Abort(f"Check failed: this->param_.gamma() >= 0 ({self.gamma:g} vs. 0)",
                         "gamma")
        if policy == "sigmoid" and not self.stepsize > 0:
            return Abort(f"Check failed: this->param_.stepsize() > 0 ({self.stepsize} vs. 0)",
                         "stepsize")
        return None

    def _multistep_changes(self) -> list[int]:
        """The iterations at which multistep's step count goes up. Caffe advances at most
        one step per iteration, in file order, when the iteration has reached the next
        stepvalue: so an unsorted or repeated value fires on the iteration after the
        previous one."""
        changes: list[int] = []
        for value in self.stepvalues:
            earliest = changes[-1] + 1 if changes else 0
            changes.append(max(value, earliest))
        return changes

    def step_count(self, iteration: int) -> int:
        """multistep's current step at `iteration` (O(log stepvalues))."""
        return bisect_right(self._steps, iteration)

    @property
    def multistep_changes(self) -> list[int]:
        return list(self._steps)

    def misplaced_steps(self, horizon: int | None) -> list[int]:
        """The indices of the multistep stepvalues that do not step where they are
        written: delayed (an unsorted or repeated value, see _multistep_changes) or above
        `horizon` (max_iter; None: no limit), so that they step late or never (a step at
        exactly max_iter changes nothing either way: the run ends there). PL110 reports
        each; PL109 leaves a schedule with any of them to PL110."""
        # A value <= 0 steps at iteration 0, the first there is: as written, not delayed.
        return [i for i, (value, change) in enumerate(zip(self.stepvalues, self._steps))
                if change != max(value, 0) or (horizon is not None and value > horizon)]

    @property
    def poly_divides_by_zero(self) -> bool:
        """lr_policy "poly" with max_iter 0: 1 - iter/0 makes the rate NaN at iteration 0
        (and +-inf or 0 after it), unless power is 0 (pow(x, 0) is 1) or NaN. PL101
        reports it; PL127, about the same max_iter, leaves it to PL101."""
        power = self.power
        return (self.policy == "poly" and self.max_iter == 0
                and not (power == 0 or math.isnan(power)))

    def rate(self, iteration: int) -> float:
        """The rate Caffe uses for the update of `iteration` (raises ScheduleAborts)."""
        if self.abort is not None:
            raise ScheduleAborts(self.abort)
        base_lr, gamma, k = self.base_lr, self.gamma, iteration
        policy = self.policy
        if policy == "fixed":
            return base_lr
        if policy == "step":
            return f32(base_lr * cpow(gamma, k // self.stepsize))
        if policy == "exp":
            return f32(base_lr * cpow(gamma, k))
        if policy == "multistep":
            return f32(base_lr * cpow(gamma, self.step_count(k)))
        if policy == "inv":
            grown = f32(1.0 + f32(gamma * f32(k)))
            return f32(base_lr * f32(cpow(grown, -self.power)))
        if policy == "poly":
            fraction = f32(ieee_div(f32(k), f32(self.max_iter)))
            remaining = f32(1.0 - fraction)
            return f32(base_lr * f32(cpow(remaining, self.power)))
        # sigmoid
        offset = f32(f32(k) - f32(self.stepsize))
        exponent = f32(-gamma * offset)
        return f32(base_lr * f32(ieee_div(1.0, f32(1.0 + f32(cexp(exponent))))))

    # ------------------------------------------------------------- range questions

    def first(self, predicate: Callable[[float], bool], start: int, stop: int) -> int | None:
        """The first iteration in [start, stop) whose rate satisfies `predicate`, for a
        predicate whose set is an interval at one end of the range (zero, inf, NaN,
        negative, 'differs from the first rate' all are, the rate being monotone)."""
        if stop <= start:
            return None
        if predicate(self.rate(start)):
            return start
        if not predicate(self.rate(stop - 1)):
            return None
        low, high = start, stop - 1  # predicate false at low, true at high
        while high - low > 1:
            mid = (low + high) // 2
            if predicate(self.rate(mid)):
                high = mid
            else:
                low = mid
        return high

    def first_nonfinite(self, stop: int) -> int | None:
        """The first iteration in [0, stop) whose rate is NaN or +-inf, or None (also when
        the schedule aborts). Bisection alone misses one case: a sigmoid with an infinite
        gamma computes inf * (iter - stepsize), which is NaN at iter = stepsize only."""
        if self.abort is not None:
            return None
        bad = self.first(lambda r: not math.isfinite(r), 0, stop)
        if self.policy == "sigmoid" and 0 <= self.stepsize < stop:
            if not math.isfinite(self.rate(self.stepsize)):
                bad = self.stepsize if bad is None else min(bad, self.stepsize)
        return bad

    def extremes(self, start: int, stop: int) -> tuple[float, float]:
        """(min, max) of the rate over [start, stop), NaN if any rate there is NaN."""
        ends = (self.rate(start), self.rate(stop - 1))
        if self.first(math.isnan, start, stop) is not None:
            return math.nan, math.nan
        return min(ends), max(ends)

    def first_increase(self, start: int, stop: int) -> int | None:
        """The first iteration in [start, stop) whose rate exceeds the one before it."""
        if stop - start < 2:
            return None
        first = self.rate(start)
        return self.first(lambda r: r > first, start + 1, stop)

    def change_points(self, stop: int, limit: int = 1000) -> list[int]:
        """Iterations below `stop` where a stepwise rate changes (step, multistep), at
        most `limit` of them."""
        if self.abort is not None:
            return []
        if self.policy == "step":
            return list(itertools.islice(range(self.stepsize, stop, self.stepsize), limit))
        if self.policy == "multistep":
            return [c for c in self._steps if c < stop][:limit]
        return []


def default_points(schedule: Schedule, samples: int = 10) -> list[int]:
    """Iterations worth showing: an even sample over [0, max_iter], every change point of
    a stepwise policy, and where the rate first becomes NaN, infinite or zero."""
    stop = schedule.max_iter
    if stop <= 0:
        points = {0, 1, 2, 10, 100, 1000, 10000}
        stop = 10001
    else:
        points = {round(i * stop / samples) for i in range(samples + 1)}
    if schedule.abort is None:
        points.update(schedule.change_points(stop))
        for predicate in (math.isnan, math.isinf, lambda r: r == 0):
            found = schedule.first(predicate, 0, stop)
            if found is not None:
                points.add(found)
    return sorted(points)
