"""Net analysis time: shape inference, value ranges and every net rule, on generated
chains of 1,600 and 16,000 layers, measured in one run.

Prints the seconds for each size and their ratio; the target is <= 11 (linear: ten times
the layers, at most eleven times the time). Parsing is left out (bench/parse_speed.py
measures it). The phase views are built inside the timed part. Each size gets the best
of nine runs, the two sizes alternating, after a garbage collection. Run:
python bench/analysis_speed.py
"""

from __future__ import annotations

import gc
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from parse_speed import generated_net  # noqa: E402

from protolint.checks import all_rules  # noqa: E402
from protolint.lint import without_cycle_collection  # noqa: E402
from protolint.project import Project  # noqa: E402


def analyse(path: Path) -> float:
    """Seconds for views, shapes, ranges and every net rule on an already parsed net."""
    project = Project(cwd=path.parent)
    project.lint_file(path, path.name)
    (net,) = project.nets
    rules = [r for r in all_rules().values() if r.target == "net"]
    gc.collect()  # the previous repetition's objects are gone before timing starts
    with without_cycle_collection():  # as a lint run does (protolint/lint.py)
        start = time.perf_counter()
        for view in net.views:
            view.shapes, view.ranges  # noqa: B018  (computed and cached here)
        for rule in rules:
            list(rule.check(net))
        return time.perf_counter() - start


def best_of_both(small: Path, large: Path, repeat: int) -> tuple[float, float]:
    """The best time of each, over the same number of runs taken alternately, so that
    both sizes see the same machine (it may be shared) and get as many chances."""
    t_small = t_large = float("inf")
    for _ in range(repeat):
        t_small = min(t_small, analyse(small))
        t_large = min(t_large, analyse(large))
    return t_small, t_large


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        small, large = Path(scratch, "small.prototxt"), Path(scratch, "large.prototxt")
        small.write_text(generated_net(1_600))
        large.write_text(generated_net(16_000))
        t_small, t_large = best_of_both(small, large, 9)
    print(f"net analysis, 1,600 layers   {t_small * 1000:8.1f} ms")
    print(f"net analysis, 16,000 layers  {t_large * 1000:8.1f} ms")
    print(f"ratio 16,000 / 1,600         {t_large / t_small:8.2f}  (target <= 11: linear)")


if __name__ == "__main__":
    main()
