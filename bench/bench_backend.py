"""Full-batch SGD step on Otto: kgui.backend vs hand-written engine code, against the memory-bandwidth floor.

    python bench/bench_backend.py [--steps 40] [--otto PATH] [--engines tensorflow theano jax torch]
                                  [--torch-compile] [--profile]

Every variant does the same step as the notebook (softmax regression, mean categorical
cross-entropy from logits, plain SGD) and receives the 23 MB data on every call, as the
notebook does. "resident" keeps the data inside the engine, for reference. Times are
medians of interleaved rounds, reported as ratios against the hand-written engine code
run in the same process, and against the floor: reading X twice (two ``x.sum()``), which
any full-batch step must do at least (forward product and gradient product).
"""
from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from bench_support import ROOT  # first: this checkout's kgui, the shared Otto data

import kgui.backend  # noqa: E402

LR = 0.01


def load_otto(path: Path):
    """Features standardised as float32, one-hot targets; the notebook's preprocessing."""
    import pandas as pd

    with gzip.open(path, "rt") if path.suffix == ".gz" else open(path) as handle:
        frame = pd.read_csv(handle)
    x = frame.drop(columns=["id", "target"]).to_numpy(np.float32)
    x = ((x - x.mean(0)) / x.std(0)).astype(np.float32)
    labels = frame["target"].str.replace("Class_", "").astype(int).to_numpy() - 1
    y = np.eye(9, dtype=np.float32)[labels]
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


def initial_weights(dims, classes):
    rng = np.random.RandomState(0)
    return rng.rand(dims, classes).astype(np.float32), rng.rand(classes).astype(np.float32)


def kgui_step(engine, x, y):
    """The notebook's code, written in the K API."""
    K = kgui.backend.load(engine)
    w0, b0 = initial_weights(x.shape[1], y.shape[1])
    X = K.placeholder(shape=(None, x.shape[1]))
    Y = K.placeholder(shape=(None, y.shape[1]))
    W, b = K.variable(w0), K.variable(b0)
    lr = K.variable(LR)
    loss = K.mean(K.categorical_crossentropy(Y, K.dot(X, W) + b, from_logits=True))
    gW, gb = K.gradients(loss, [W, b])
    train = K.function([X, Y], [loss], updates=[(W, W - lr * gW), (b, b - lr * gb)])
    return lambda: train([x, y])[0]


def tensorflow_step(x, y, resident=False):
    """Best native TF 2 form: a traced tf.function with tf.Variables."""
    import tensorflow as tf

    w0, b0 = initial_weights(x.shape[1], y.shape[1])
    W, b, lr = tf.Variable(w0), tf.Variable(b0), tf.Variable(np.float32(LR))
    spec = [tf.TensorSpec([None, x.shape[1]], tf.float32), tf.TensorSpec([None, y.shape[1]], tf.float32)]

    @tf.function(input_signature=spec, autograph=False)
    def step(xb, yb):
        with tf.GradientTape() as tape:
            logits = tf.matmul(xb, W) + b
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=yb, logits=logits))
        gW, gb = tape.gradient(loss, [W, b])
        W.assign_sub(lr * gW)
        b.assign_sub(lr * gb)
        return loss

    if resident:
        xt, yt = tf.constant(x), tf.constant(y)
        return lambda: step(xt, yt).numpy()
    return lambda: step(x, y).numpy()


def theano_step(x, y, resident=False):
    """Best native PyTensor form: shared variables, pytensor.grad, updates, kgui's mode and BLAS flags."""
    kgui.backend.load("theano")  # same PyTensor configuration as kgui (BLAS link flags, C mode)
    from kgui.backend.theano_backend import MODE
    import pytensor
    import pytensor.tensor as pt
    from pytensor.gradient import zero_grad

    w0, b0 = initial_weights(x.shape[1], y.shape[1])
    W, b = pytensor.shared(w0, shape=w0.shape), pytensor.shared(b0, shape=b0.shape)
    lr = pytensor.shared(np.float32(LR))
    if resident:
        xs, ys = pytensor.shared(x), pytensor.shared(y)
        inputs = []
    else:
        xs, ys = pt.matrix(dtype="float32", shape=(None, x.shape[1])), pt.matrix(dtype="float32", shape=(None, 9))
        inputs = [xs, ys]
    logits = pt.dot(xs, W) + b
    shifted = logits - zero_grad(pt.max(logits, axis=-1, keepdims=True))  # C code; PyTensor's LogSoftmax is Python
    log_probs = shifted - pt.log(pt.sum(pt.exp(shifted), axis=-1, keepdims=True))
    loss = -pt.mean(pt.sum(ys * log_probs, axis=-1))
    gW, gb = pytensor.grad(loss, [W, b])
    fn = pytensor.function(inputs, loss, updates=[(W, W - lr * gW), (b, b - lr * gb)],
                         mode=MODE)
    fn.trust_input = True
    if resident:
        return lambda: fn()
    return lambda: fn(x, y)


def jax_step(x, y, resident=False):
    """Best native JAX form: one jitted pure step with value_and_grad; parameters are passed and returned."""
    kgui.backend.load("jax")  # same JAX configuration as kgui (64-bit types enabled, CPU only)
    import jax
    import jax.numpy as jnp

    w0, b0 = initial_weights(x.shape[1], y.shape[1])
    params = [jnp.asarray(w0), jnp.asarray(b0)]
    lr = jnp.float32(LR)

    def loss_of(p, xb, yb):
        logits = xb @ p[0] + p[1]
        return -jnp.mean(jnp.sum(yb * jax.nn.log_softmax(logits, axis=-1), axis=-1))

    @jax.jit
    def step(p, xb, yb):
        loss, grads = jax.value_and_grad(loss_of)(p, xb, yb)
        return loss, [value - lr * grad for value, grad in zip(p, grads)]

    xs, ys = (jnp.asarray(x), jnp.asarray(y)) if resident else (x, y)

    def run():
        nonlocal params
        loss, params = step(params, xs, ys)
        return np.asarray(loss)

    return run


def torch_step(x, y, resident=False, compiled=False):
    """Best native PyTorch form: eager autograd (or ``torch.compile`` of the same step), in-place SGD."""
    import torch

    w0, b0 = initial_weights(x.shape[1], y.shape[1])
    W, b = torch.from_numpy(w0).requires_grad_(), torch.from_numpy(b0).requires_grad_()

    def step(xb, yb):
        loss = -torch.mean(torch.sum(yb * torch.log_softmax(xb @ W + b, dim=-1), dim=-1))
        gW, gb = torch.autograd.grad(loss, [W, b])
        with torch.no_grad():
            W.sub_(LR * gW)
            b.sub_(LR * gb)
        return loss.detach()

    if compiled:
        step = torch.compile(step)
    if resident:
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        return lambda: step(xt, yt).numpy()
    return lambda: step(torch.from_numpy(x), torch.from_numpy(y)).numpy()


def floor_step(x):
    """The memory-bandwidth floor of a full-batch step: reading X twice (forward and gradient)."""
    return lambda: (x.sum(), x.sum())


def numpy_step(x, y):
    """Hand-written NumPy forward and backward pass."""
    w, b = initial_weights(x.shape[1], y.shape[1])

    def step():
        nonlocal w, b
        logits = x @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        probs = exp / exp.sum(axis=1, keepdims=True)
        loss = -np.mean(np.sum(y * np.log(probs + 1e-30), axis=1))
        delta = (probs - y) / len(x)
        w = w - LR * (x.T @ delta)
        b = b - LR * delta.sum(axis=0)
        return loss

    return step


def timed_first_call(make):
    start = time.perf_counter()
    step = make()
    step()
    return step, time.perf_counter() - start


def median_ms(steps: dict, rounds: int) -> dict:
    """Interleave the variants, rotating their order each round; median milliseconds per step.

    A short pause before each sample lets the previous variant's BLAS/engine worker threads
    go idle, so no variant pays for the one before it. The first round is a warm-up.
    """
    samples = {name: [] for name in steps}
    names = list(steps)
    for step in steps.values():
        step()
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            time.sleep(0.05)
            start = time.perf_counter()
            steps[name]()
            samples[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def step_parts(engine, x, y):
    """Where a full-batch step's time goes: each part of the step alone, as the engine runs it."""
    w0, _ = initial_weights(x.shape[1], y.shape[1])
    if engine == "numpy":
        return {"X @ W": lambda: x @ w0, "X.T @ delta": lambda: x.T @ y,
                "softmax rows": lambda: np.exp(y - y.max(1, keepdims=True)).sum(1)}
    if engine == "torch":
        import torch

        X, Y, W = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(w0)
        return {"X @ W": lambda: X @ W, "X.T @ delta": lambda: X.T @ Y,
                "softmax rows": lambda: torch.log_softmax(Y, dim=-1), "feed X": lambda: torch.from_numpy(x)}
    if engine == "jax":
        kgui.backend.load("jax")
        import jax
        import jax.numpy as jnp

        X, Y, W = jnp.asarray(x), jnp.asarray(y), jnp.asarray(w0)
        forward, backward = jax.jit(lambda a, b: a @ b), jax.jit(lambda a, b: a.T @ b)
        softmax = jax.jit(lambda a: jax.nn.log_softmax(a, axis=-1))
        return {"X @ W": lambda: forward(X, W).block_until_ready(),
                "X.T @ delta": lambda: backward(X, Y).block_until_ready(),
                "softmax rows": lambda: softmax(Y).block_until_ready(),
                "feed X": lambda: jnp.asarray(x).block_until_ready()}
    if engine == "tensorflow":
        import tensorflow as tf

        X, Y, W = tf.constant(x), tf.constant(y), tf.constant(w0)
        forward = tf.function(lambda a, b: tf.matmul(a, b))
        backward = tf.function(lambda a, b: tf.matmul(a, b, transpose_a=True))
        softmax = tf.function(lambda a: tf.nn.log_softmax(a, axis=-1))
        return {"X @ W": lambda: forward(X, W).numpy(), "X.T @ delta": lambda: backward(X, Y).numpy(),
                "softmax rows": lambda: softmax(Y).numpy(), "feed X": lambda: tf.constant(x)}
    return {}


def profile(engines, x, y, rounds):
    """Each engine's step parts in ms, next to the floor measured in the same block."""
    print(f"{'engine':<11}{'part':<14}{'ms':>8}{'/floor':>8}")
    for engine in ["numpy", *engines]:
        parts = step_parts(engine, x, y)
        if not parts:
            continue
        ms = median_ms({**parts, "floor": floor_step(x)}, rounds)
        for part, value in ms.items():
            if part != "floor":
                print(f"{engine:<11}{part:<14}{value:>8.2f}{value / ms['floor']:>8.2f}")
        print(f"{engine:<11}{'floor':<14}{ms['floor']:>8.2f}")


NATIVES = {"tensorflow": tensorflow_step, "theano": theano_step, "jax": jax_step, "torch": torch_step}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="timed rounds per variant")
    parser.add_argument("--otto", type=Path, default=ROOT.parent / "shared/data/kaggle_ottogroup/train.csv.gz")
    parser.add_argument("--engines", nargs="+", default=[i.id for i in kgui.backend.available() if i.installed])
    parser.add_argument("--torch-compile", action="store_true",
                        help="also time the native PyTorch step under torch.compile")
    parser.add_argument("--profile", action="store_true",
                        help="time the parts of the step (products, softmax, feeding X) on each engine instead")
    args = parser.parse_args(argv)

    x, y = load_otto(args.otto)
    print(f"Otto train: X {x.shape} {x.dtype} ({x.nbytes / 1e6:.1f} MB), Y {y.shape}; {args.steps} rounds\n")
    if args.profile:
        profile(args.engines, x, y, args.steps)
        return 0
    floors = [median_ms({"floor": floor_step(x)}, args.steps)["floor"]]
    rows = []
    for engine in args.engines:
        variants, compile_s = {}, {}
        variants["kgui"], compile_s["kgui"] = timed_first_call(lambda: kgui_step(engine, x, y))
        variants["native"], compile_s["native"] = timed_first_call(lambda: NATIVES[engine](x, y))
        ms = median_ms(variants, args.steps)  # the compared pair, interleaved
        # references, each in a block of its own: their memory traffic must not land on the pair
        ms |= median_ms({"resident": timed_first_call(lambda: NATIVES[engine](x, y, resident=True))[0]}, args.steps)
        version = kgui.backend.load(engine).version
        rows.append((engine, version, ms, compile_s))
        if engine == "torch" and args.torch_compile:
            compiled, first_s = timed_first_call(lambda: torch_step(x, y, compiled=True))
            pair = median_ms({"native": variants["native"], "compiled": compiled}, args.steps)
            print(f"torch.compile: first call {first_s:.1f} s; step {pair['compiled']:.2f} ms against eager "
                  f"{pair['native']:.2f} ms (compiled/eager {pair['compiled'] / pair['native']:.2f})\n")
    numpy_ms = median_ms({"numpy": numpy_step(x, y)}, args.steps)["numpy"]
    floors.append(median_ms({"floor": floor_step(x)}, args.steps)["floor"])
    floor = statistics.median(floors)

    header = (f"{'engine':<11}{'version':<12}{'kgui ms':>9}{'native ms':>11}{'kgui/native':>13}{'resident ms':>13}"
              f"{'kgui first s':>14}{'native first s':>16}{'kgui/floor':>12}{'resident/floor':>16}")
    print(header)
    print("-" * len(header))
    for engine, version, ms, compile_s in rows:
        print(f"{engine:<11}{version:<12}{ms['kgui']:>9.2f}{ms['native']:>11.2f}{ms['kgui'] / ms['native']:>13.3f}"
              f"{ms['resident']:>13.2f}{compile_s['kgui']:>14.2f}{compile_s['native']:>16.2f}"
              f"{ms['kgui'] / floor:>12.2f}{ms['resident'] / floor:>16.2f}")
    print(f"\nfloor (two x.sum() over X, {x.nbytes / 1e6:.0f} MB each): {floor:.2f} ms "
          f"(before/after: {floors[0]:.2f} / {floors[1]:.2f}); numpy hand-written step {numpy_ms:.2f} ms")
    fastest = min(rows, key=lambda row: row[2]["kgui"])
    print(f"fastest engine through kgui: {fastest[0]}, {fastest[2]['kgui'] / floor:.2f}x the floor (goal <= 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
