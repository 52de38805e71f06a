"""One epoch of an MLP on Otto with Adam: kgui.backend vs the same step hand-written for each engine.

    python bench/bench_mlp.py [--rounds 3] [--engines tensorflow theano] [--otto PATH]

The model is 93-256-128-9 (relu hidden layers, softmax output, mean categorical cross-entropy
from logits), Adam with Keras 2's rule and defaults (lr 0.001), mini-batches of 128 rows in a
seeded shuffle over the 49,502 training rows (386 steps an epoch). "kgui" is
``kgui.core.training.models.MLP``, the model the app trains; "native" is the engine's best native form of
the same step. Each round runs one epoch of each variant, interleaved; the table gives the
median ms per step over the rounds and the ratio kgui / native measured in this process.
"""
from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

import bench_support  # noqa: F401  (first: this checkout's kgui on sys.path, the shared Otto data)

import kgui.backend  # noqa: E402
from kgui.core.data.datasets import load_dataset  # noqa: E402
from kgui.core.training.models import MLP, Architecture  # noqa: E402
from kgui.core.training.optimizers import OptimizerConfig  # noqa: E402

HIDDEN = (256, 128)
BATCH = 128
LR, BETA_1, BETA_2, EPSILON = 0.001, 0.9, 0.999, 1e-7


def batches(n_rows: int, seed: int = 0):
    order = np.random.RandomState(seed).permutation(n_rows)
    return [order[i:i + BATCH] for i in range(0, n_rows - BATCH + 1, BATCH)]


def initial_weights(n_features: int, n_classes: int):
    return Architecture((n_features, *HIDDEN, n_classes), "classification", "relu",
                        "glorot_uniform").initial_weights(0)


def kgui_step(engine, x, y):
    K = kgui.backend.load(engine)
    model = MLP(K, x.shape[1], y.shape[1], "classification", HIDDEN, "relu", LR, 0, OptimizerConfig("adam"))
    return model.train_step


def tensorflow_step(x, y):
    """tf.function + GradientTape + Keras 2's Adam written with assign ops."""
    import tensorflow as tf

    params = [tf.Variable(value) for value in initial_weights(x.shape[1], y.shape[1])]
    ms = [tf.Variable(tf.zeros_like(p)) for p in params]
    vs = [tf.Variable(tf.zeros_like(p)) for p in params]
    iterations, lr = tf.Variable(0.0), tf.Variable(np.float32(LR))
    spec = [tf.TensorSpec([None, x.shape[1]], tf.float32), tf.TensorSpec([None, y.shape[1]], tf.float32)]

    @tf.function(input_signature=spec, autograph=False)
    def step(xb, yb):
        with tf.GradientTape() as tape:
            h = xb
            for layer in range(len(params) // 2):
                h = tf.matmul(h, params[2 * layer]) + params[2 * layer + 1]
                if layer < len(params) // 2 - 1:
                    h = tf.nn.relu(h)
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=yb, logits=h))
        grads = tape.gradient(loss, params)
        t = iterations + 1.0
        lr_t = lr * tf.sqrt(1.0 - tf.pow(BETA_2, t)) / (1.0 - tf.pow(BETA_1, t))
        for p, g, m, v in zip(params, grads, ms, vs):
            m_t = BETA_1 * m + (1.0 - BETA_1) * g
            v_t = BETA_2 * v + (1.0 - BETA_2) * tf.square(g)
            m.assign(m_t)
            v.assign(v_t)
            p.assign_sub(lr_t * m_t / (tf.sqrt(v_t) + EPSILON))
        iterations.assign(t)
        return loss

    return lambda xb, yb: float(step(xb, yb).numpy())


def theano_step(x, y):
    """pytensor.function with shared variables, pytensor.grad and Keras 2's Adam as updates (kgui's mode)."""
    kgui.backend.load("theano")  # the same PyTensor configuration as kgui (BLAS flags, C mode)
    from kgui.backend.theano_backend import MODE
    import pytensor
    import pytensor.tensor as pt
    from pytensor.gradient import zero_grad

    params = [pytensor.shared(value, shape=value.shape) for value in initial_weights(x.shape[1], y.shape[1])]
    xs = pt.matrix(dtype="float32", shape=(None, x.shape[1]))
    ys = pt.matrix(dtype="float32", shape=(None, y.shape[1]))
    h = xs
    for layer in range(len(params) // 2):
        h = pt.dot(h, params[2 * layer]) + params[2 * layer + 1]
        if layer < len(params) // 2 - 1:
            h = pt.maximum(h, np.float32(0))
    shifted = h - zero_grad(pt.max(h, axis=-1, keepdims=True))
    loss = -pt.mean(pt.sum(ys * (shifted - pt.log(pt.sum(pt.exp(shifted), axis=-1, keepdims=True))), axis=-1))
    grads = pytensor.grad(loss, params)
    iterations, lr = pytensor.shared(np.float32(0)), pytensor.shared(np.float32(LR))
    t = iterations + np.float32(1)
    lr_t = lr * pt.sqrt(np.float32(1) - np.float32(BETA_2) ** t) / (np.float32(1) - np.float32(BETA_1) ** t)
    updates = [(iterations, t)]
    for p, g in zip(params, grads):
        m = pytensor.shared(np.zeros(p.get_value().shape, np.float32))
        v = pytensor.shared(np.zeros(p.get_value().shape, np.float32))
        m_t = np.float32(BETA_1) * m + np.float32(1 - BETA_1) * g
        v_t = np.float32(BETA_2) * v + np.float32(1 - BETA_2) * pt.sqr(g)
        updates += [(m, m_t), (v, v_t), (p, p - lr_t * m_t / (pt.sqrt(v_t) + np.float32(EPSILON)))]
    fn = pytensor.function([xs, ys], loss, updates=updates, mode=MODE)
    fn.trust_input = True
    return lambda xb, yb: float(fn(xb, yb))


NATIVE = {"tensorflow": tensorflow_step, "theano": theano_step}


def epoch_ms(step, x, y, rows) -> tuple[float, float]:
    """ms per step over one epoch (batches sliced outside the timing), and the epoch's last loss."""
    xs = [np.ascontiguousarray(x[r]) for r in rows]
    ys = [np.ascontiguousarray(y[r]) for r in rows]
    start = time.perf_counter()
    for xb, yb in zip(xs, ys):
        loss = step(xb, yb)
    return (time.perf_counter() - start) * 1000 / len(rows), loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engines", nargs="+", default=[i.id for i in kgui.backend.available()
                                                         if i.installed and i.id in NATIVE])
    parser.add_argument("--otto", help="Otto train.csv(.gz) or its folder (default: the data folders)")
    args = parser.parse_args()
    data = load_dataset("otto", {"path": args.otto} if args.otto else {}, 0.2, 0)
    x, y = data.x_train, data.y_train
    rows = batches(len(x))
    print(f"Otto {len(x)} training rows, MLP {x.shape[1]}-{'-'.join(map(str, HIDDEN))}-{y.shape[1]} relu, Adam, "
          f"batch {BATCH}: {len(rows)} steps an epoch, {args.rounds} rounds")
    print("| engine | version | kgui ms/step | native ms/step | kgui / native | epoch s (kgui) | "
          "first-epoch loss kgui / native |")
    print("|---|---|---|---|---|---|---|")
    for engine in args.engines:
        K = kgui.backend.load(engine)
        variants = {"kgui": kgui_step(engine, x, y), "native": NATIVE[engine](x, y)}
        for step in variants.values():  # compile outside the timing
            step(x[:BATCH], y[:BATCH])
        times = {name: [] for name in variants}
        losses = {}
        for _ in range(args.rounds):
            for name, step in variants.items():
                ms, loss = epoch_ms(step, x, y, rows)
                times[name].append(ms)
                losses.setdefault(name, loss)
        kgui_ms, native_ms = (statistics.median(times[name]) for name in ("kgui", "native"))
        print(f"| {engine} | {K.version} | {kgui_ms:.2f} | {native_ms:.2f} | {kgui_ms / native_ms:.2f} | "
              f"{kgui_ms * len(rows) / 1000:.1f} | {losses['kgui']:.4f} / {losses['native']:.4f} |", flush=True)
        if not math.isclose(losses["kgui"], losses["native"], rel_tol=1e-3):
            print(f"  note: {engine}'s kgui and native losses differ: not the same computation?")


if __name__ == "__main__":
    main()
