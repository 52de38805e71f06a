"""PyTensor's first run of a model after install, with the install's warm-up as it was (the standard experiments)
and as it is (plus the kernels every model × activation × optimizer shares), each on a fresh compile cache.

    python bench/bench_warmup.py          # minutes: everything PyTensor compiles, twice

For each warm-up: its wall and compiler CPU time, then three experiments it never ran (spiral MLP 8,8 ReLU Adam,
circle MLP 4 tanh RMSprop, iris MLP 16,16,16 sigmoid Adagrad), each prepared in turn in the same process: wall
time, compiler CPU time (the C modules compiled for it) and the modules in the cache after it. Prints a table
(docs/bench_workers.md has one).
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MEASURE = r"""
import glob, json, os, resource, sys, time
cache, kernels = sys.argv[1], sys.argv[2] == "with-kernels"
os.environ["PYTENSOR_FLAGS"] = f"base_compiledir={cache}"
sys.path.insert(0, sys.argv[3])
from kgui.core.training import warmup
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.trainer import Trainer

def compiler_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

def measured(action):
    wall, cpu = time.perf_counter(), compiler_cpu()
    action()
    return [round(time.perf_counter() - wall, 1), round(compiler_cpu() - cpu, 1),
            len(glob.glob(cache + "/**/*.so", recursive=True))]

rows = [["warm-up"] + measured(lambda: warmup.warm_up("theano", **({} if kernels else {"kernels": ()})))]
for settings in [
        ExperimentSettings(dataset="spiral", model="mlp", hidden=(8, 8), batch_size=10, optimizer="adam"),
        ExperimentSettings(dataset="circle", model="mlp", hidden=(4,), activation="tanh", optimizer="rmsprop"),
        ExperimentSettings(dataset="iris", model="mlp", hidden=(16, 16, 16), activation="sigmoid",
                           optimizer="adagrad")]:
    label = f"{settings.dataset} MLP {','.join(map(str, settings.hidden))} {settings.activation} {settings.optimizer}"
    rows.append([label] + measured(lambda: Trainer(settings.replace(backend="theano")).prepare()))
print(json.dumps(rows))
"""


def main() -> None:
    print("| warm-up | what | wall | compiler CPU | C modules in the cache after it |")
    print("|---|---|---:|---:|---:|")
    for name, flag in (("standard experiments (before)", "without-kernels"),
                       ("+ shared kernels (now)", "with-kernels")):
        with tempfile.TemporaryDirectory() as cache:
            result = subprocess.run([sys.executable, "-c", MEASURE, cache, flag, str(ROOT)], capture_output=True,
                                    text=True, check=True)
        for label, wall, cpu, modules in json.loads(result.stdout.splitlines()[-1]):
            print(f"| {name} | {label} | {wall:.1f} s | {cpu:.1f} s | {modules} |", flush=True)


if __name__ == "__main__":
    main()
