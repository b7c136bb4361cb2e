"""Located parsing against protobuf's text_format, and the whole-process lint time.

Prints, measured in this one run (best of several repetitions each):
  - our located parse (tokens, located tree, caffe_pb2 message) / text_format.Parse,
    on BVLC GoogLeNet train_val (from ../shared/corpus) and on a generated
    16,000-layer net; the target is <= 1.0: locations for free;
  - the wall time of `protolint lint examples/broken/solver.prototxt` as a fresh
    process, and its ratio to a bare `python -c pass`.
Run from anywhere: python bench/parse_speed.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from google.protobuf import text_format

from protolint import messages
from protolint.schema import caffe_pb2
from protolint.textformat import parse

REPO = Path(__file__).resolve().parent.parent
GOOGLENET = REPO.parent / "shared" / "corpus" / "BVLC__caffe" / "models" / "bvlc_googlenet" / "train_val.prototxt"


def generated_net(layers: int) -> str:
    """A plain chain of conv/relu/pool layers with fillers and params, like real nets,
    ending in a classifier and its loss (so the net trains, as the rules assume)."""
    parts = ['name: "generated"\n', 'layer { name: "data" type: "Input" top: "x0" top: "label"\n'
             '  input_param { shape { dim: 1 dim: 3 dim: 224 dim: 224 } shape { dim: 1 } } }\n']
    for i in range(1, layers):
        kind = i % 3
        if kind == 1:
            parts.append(
                f'layer {{\n  name: "conv{i}"\n  type: "Convolution"\n  bottom: "x{i - 1}"\n'
                f'  top: "x{i}"\n  param {{ lr_mult: 1 decay_mult: 1 }}\n'
                f'  param {{ lr_mult: 2 decay_mult: 0 }}\n  convolution_param {{\n'
                f'    num_output: 64\n    pad: 1\n    kernel_size: 3\n'
                f'    weight_filler {{ type: "xavier" }}\n'
                f'    bias_filler {{ type: "constant" value: 0.2 }}\n  }}\n}}\n')
        elif kind == 2:
            parts.append(f'layer {{ name: "relu{i}" type: "ReLU" bottom: "x{i - 1}" top: "x{i}" }}\n')
        else:
            parts.append(
                f'layer {{\n  name: "pool{i}"\n  type: "Pooling"\n  bottom: "x{i - 1}"\n'
                f'  top: "x{i}"\n  pooling_param {{ pool: MAX kernel_size: 3 stride: 1 pad: 1 }}\n}}\n')
    parts.append(
        f'layer {{ name: "fc" type: "InnerProduct" bottom: "x{layers - 1}" top: "fc"\n'
        '  inner_product_param { num_output: 10 weight_filler { type: "xavier" } } }\n'
        'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }\n')
    return "".join(parts)


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def compare(label: str, text: str, repeat: int) -> None:
    pb = caffe_pb2()

    def ours():
        message = pb.NetParameter()
        problems = messages.fill(parse(text).root, message)
        assert not problems

    def theirs():
        text_format.Parse(text, pb.NetParameter())

    ours(), theirs()  # warm up
    t_ours, t_theirs = best(ours, repeat), best(theirs, repeat)
    print(f"{label:<34} ours {t_ours * 1000:9.1f} ms   text_format {t_theirs * 1000:9.1f} ms"
          f"   ratio {t_ours / t_theirs:.2f}  (target <= 1.0)")


def whole_process(repeat: int) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    command = [sys.executable, "-m", "protolint", "lint", "examples/broken/solver.prototxt"]
    bare = [sys.executable, "-c", "pass"]

    def run(cmd):
        return lambda: subprocess.run(cmd, cwd=REPO, env=env, capture_output=True)

    run(command)()  # warm the schema cache
    t_lint, t_bare = best(run(command), repeat), best(run(bare), repeat)
    print(f"{'lint examples/broken (process)':<34} {t_lint * 1000:9.1f} ms   "
          f"python -c pass {t_bare * 1000:7.1f} ms   ratio {t_lint / t_bare:.1f}")


def main() -> None:
    if GOOGLENET.is_file():
        compare("BVLC GoogLeNet train_val", GOOGLENET.read_text(), repeat=10)
    else:
        print(f"BVLC GoogLeNet train_val: skipped ({GOOGLENET} is absent)")
    compare("generated 16,000-layer net", generated_net(16_000), repeat=3)
    whole_process(repeat=5)


if __name__ == "__main__":
    main()
