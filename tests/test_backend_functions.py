"""K.function semantics, the notebook's two models, engine loading, config and bad input."""
import gzip
import importlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import kgui.backend
from engine_support import ENGINES, INSTALLED, load_or_skip
from kgui.backend import config

OTTO = Path(os.environ.get("KGUI_OTTO_DIR", Path(__file__).resolve().parents[2] / "shared/data/kaggle_ottogroup"))
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=ENGINES, scope="module")
def K(request):
    return load_or_skip(request.param)


def test_outputs_are_computed_before_updates(K):
    w = K.variable(1.0)
    f = K.function([], [w, w * 10], updates=[(w, w + 1)])
    assert [float(v) for v in f([])] == [1.0, 10.0]
    assert [float(v) for v in f([])] == [2.0, 20.0]
    assert float(K.get_value(w)) == 3.0


def test_variable_updated_twice_is_an_error(K):
    w = K.variable(1.0)
    with pytest.raises(ValueError, match="updated twice"):
        K.function([], [w], updates=[(w, w + 1), (w, w - 1)])


def test_set_value_takes_effect_on_next_call(K):
    """How the window slides the learning rate while training."""
    w, lr = K.variable(0.0), K.variable(0.5)
    step = K.function([], [w], updates=[(w, w + lr)])
    step([])
    K.set_value(lr, 2.0)
    step([])
    assert float(K.get_value(w)) == pytest.approx(2.5)


def test_function_built_on_one_thread_runs_on_another(K):
    x = K.placeholder(ndim=1)
    w = K.variable(0.0)
    step = K.function([x], [K.sum(x)], updates=[(w, w + K.sum(x))])
    results = []
    worker = threading.Thread(target=lambda: results.extend(step([np.ones(4)]) for _ in range(3)))
    worker.start()
    worker.join()
    assert [float(r[0]) for r in results] == [4.0, 4.0, 4.0]
    assert float(K.get_value(w)) == 12.0


def test_rankless_placeholder_takes_the_rank_of_the_data(K):
    x = K.placeholder()
    f = K.function([x], [K.sum(x * 2)])
    assert float(f([np.arange(3.0)])[0]) == 6.0
    assert float(f([np.ones((2, 2))])[0]) == 8.0


def test_float64_data_is_cast_and_float32_passes_unchanged(K):
    x = K.placeholder(shape=(None, 2), dtype="float")
    f = K.function([x], [x * 1])
    out = f([np.array([[0.1, 0.2]])])[0]
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.array([[0.1, 0.2]], np.float32))


def test_bad_inputs_get_clear_messages(K):
    x = K.placeholder(shape=(None, 3), name="x")
    f = K.function([x], [K.sum(x)], name="train")
    with pytest.raises(ValueError, match=r"train: expected 1 input\(s\) \(x\), got 2"):
        f([np.ones((2, 3)), np.ones(3)])
    with pytest.raises(ValueError, match=r"input 0 \(x\) must have 2 dimension"):
        f([np.ones(3)])
    with pytest.raises(ValueError, match=r"axis 1: 4 != 3"):
        f([np.ones((2, 4))])
    with pytest.raises(TypeError, match="must be numeric, got dtype <U1"):
        f([np.array([["a", "b", "c"]])])
    with pytest.raises(TypeError, match="list of arrays"):
        f(np.ones((2, 3)))
    with pytest.raises(TypeError, match="not a variable"):
        K.gradients(K.sum(x), [x])
    with pytest.raises(TypeError, match="cannot combine float32 and int32"):
        K.variable(1.0) + K.variable(1, dtype="int32")
    with pytest.raises(ValueError, match="not aligned"):
        K.dot(x, K.variable(np.ones((4, 2))))


def test_variables_of_one_engine_cannot_enter_another():
    tf_k, th_k = kgui.backend.load("tensorflow"), kgui.backend.load("theano")
    w = tf_k.variable(1.0)
    with pytest.raises(ValueError, match="belongs to the tensorflow backend"):
        th_k.function([], [w * 2])


def test_linear_regression_exercise_converges(K):
    """The notebook's exercise, unchanged except for the import."""
    np.random.seed(0)
    x = K.placeholder()
    target = K.placeholder()
    w = K.variable(np.random.rand())
    b = K.variable(np.random.rand())
    y = w * x + b
    loss = K.mean(K.square(y - target))
    grads = K.gradients(loss, [w, b])
    lr = K.constant(0.5)
    updates = [(w, w - lr * grads[0]), (b, b - lr * grads[1])]
    train = K.function(inputs=[x, target], outputs=[loss], updates=updates)
    np_x = np.random.rand(1000)
    np_target = 0.96 * np_x + 0.24
    history = [float(train([np_x, np_target])[0]) for _ in range(200)]
    assert history[-1] < history[0] / 100
    assert abs(float(K.eval(w)) - 0.96) < 0.02 and abs(float(K.eval(b)) - 0.24) < 0.02


def load_otto_train():
    path = OTTO / "train.csv.gz"
    if not path.is_file():
        pytest.skip(f"real Otto data not found at {path} (set KGUI_OTTO_DIR)")
    import pandas as pd

    with gzip.open(path, "rt") as handle:
        frame = pd.read_csv(handle)
    x = frame.drop(columns=["id", "target"]).to_numpy(np.float32)
    x = ((x - x.mean(0)) / x.std(0)).astype(np.float32)
    y = np.eye(9, dtype=np.float32)[frame["target"].str[6:].astype(int).to_numpy() - 1]
    return x, y


@pytest.fixture(scope="module")
def otto():
    return load_otto_train()


def notebook_logistic_regression(K, x_train, y_train, steps):
    """The notebook's Otto model in the K API, with Keras-2 argument order and fixed float32 weights."""
    dims, nb_classes = x_train.shape[1], y_train.shape[1]
    rng = np.random.RandomState(1)
    x = K.placeholder(dtype="float", shape=(None, dims))
    target = K.placeholder(dtype="float", shape=(None, nb_classes))
    W = K.variable(rng.rand(dims, nb_classes).astype(np.float32))
    b = K.variable(rng.rand(nb_classes).astype(np.float32))
    y = K.dot(x, W) + b
    loss = K.mean(K.categorical_crossentropy(target, y, from_logits=True))
    lr = K.constant(0.01)
    grads = K.gradients(loss, [W, b])
    updates = [(W, W - lr * grads[0]), (b, b - lr * grads[1])]
    train = K.function(inputs=[x, target], outputs=[loss], updates=updates)
    return np.array([train([x_train, y_train])[0] for _ in range(steps)])


FULL_OTTO = pytest.param(None, marks=[pytest.mark.slow, pytest.mark.skipif(
    not os.environ.get("KGUI_SLOW_TESTS"), reason="full Otto on every engine takes minutes: set KGUI_SLOW_TESTS=1")])


@pytest.mark.parametrize("rows", [3000, FULL_OTTO], ids=["3000-rows", "full"])
def test_otto_logistic_regression_same_losses_on_every_engine(otto, rows):
    """The notebook's model, 200 steps: every installed engine gives the same losses within 1e-4."""
    x, y = otto
    x, y = x[:rows], y[:rows]
    histories = {name: notebook_logistic_regression(kgui.backend.load(name), x, y, 200)
                 for name in ENGINES if name in INSTALLED}
    assert len(histories) >= 2
    for history in histories.values():
        assert history[-1] < history[0] - 0.5  # the loss goes down
        assert np.all(np.diff(history) < 0)
    reference = histories["tensorflow"]
    for name, history in histories.items():
        np.testing.assert_allclose(history, reference, rtol=0, atol=1e-4, err_msg=f"{name} vs tensorflow")


def test_available_reports_engines_without_importing_them():
    code = ("import sys, kgui, kgui.backend as K; info = K.available(); "
            "print([(i.id, i.installed) for i in info]); "
            "print([m for m in ('tensorflow', 'pytensor', 'jax', 'torch') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.splitlines() == [str([(name, name in INSTALLED) for name in ENGINES]), "[]"]
    assert {"tensorflow", "theano", "jax"} <= set(ENGINES)


@pytest.mark.skipif("tensorflow" not in INSTALLED, reason="tensorflow is not installed")
def test_tensorflow_engine_imports_neither_keras_nor_sklearn_nor_jax_yet_they_still_import():
    """TensorFlow's own __init__ imports Keras 3 (and with it scikit-learn) and JAX, seconds kgui never uses."""
    code = ("import sys, numpy as np, kgui.backend as K\n"
            "tf_k = K.load('tensorflow')\n"
            "print([m for m in ('keras', 'sklearn', 'jax') if m in sys.modules])\n"
            "w = tf_k.variable(np.float32(1.0))\n"
            "step = tf_k.function([], [w], updates=[(w, w * 3)])\n"
            "print(float(step([])[0]), float(step([])[0]))\n"
            "import keras, keras.optimizers, sklearn.datasets\n"
            "print(keras.optimizers.SGD.__name__, keras.backend.backend())\n"
            "jax_k = K.load('jax'); print(float(jax_k.eval(jax_k.variable(np.float32(2.0)))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.splitlines() == ["[]", "1.0 3.0", "SGD tensorflow", "2.0"]


def test_unknown_engine_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown backend 'cntk'; known backends: tensorflow, theano, jax, torch"):
        kgui.backend.load("cntk")
    assert kgui.backend.load("pytensor") is kgui.backend.load("theano")


def test_missing_engine_names_the_pip_command(monkeypatch):
    real_import = importlib.import_module

    def import_without_pytensor(name, *args):
        if name == "kgui.backend.theano_backend":
            raise ModuleNotFoundError("No module named 'pytensor'")
        return real_import(name, *args)

    monkeypatch.setattr(kgui.backend, "_loaded", {})
    monkeypatch.setattr(importlib, "import_module", import_without_pytensor)
    with pytest.raises(ImportError, match=r"install it with: pip install pytensor==3\.0\.7"):
        kgui.backend.load("theano")


def run_python(code, **env):
    environment = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=environment)


def test_default_backend_from_env_then_config_file(tmp_path):
    cfg = tmp_path / "kgui.json"
    cfg.write_text(json.dumps({"backend": "theano", "floatx": "float32", "epsilon": 1e-6}))
    code = "import kgui.backend as K; print(K.backend(), K.epsilon())"
    environment = {k: v for k, v in os.environ.items() if k != "KGUI_BACKEND"}
    from_file = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                               env={**environment, "KGUI_CONFIG": str(cfg)})
    assert from_file.stdout.split() == ["theano", "1e-06"], from_file.stderr
    from_env = run_python(code, KGUI_CONFIG=str(cfg), KGUI_BACKEND="tensorflow")
    assert from_env.stdout.split() == ["tensorflow", "1e-06"], from_env.stderr


def test_module_level_api_runs_notebook_code(tmp_path):
    code = ("import numpy as np, kgui.backend as K\n"
            "x = K.placeholder(); w = K.variable(2.0)\n"
            "f = K.function([x], [K.mean(w * x)])\n"
            "print(K.backend(), float(f([np.arange(4.0)])[0]))")
    result = run_python(code, KGUI_BACKEND="theano", KGUI_CONFIG=str(tmp_path / "none.json"))
    assert result.stdout.split() == ["theano", "3.0"], result.stderr


@pytest.mark.parametrize("text", ["{ not json", "[" * 100_000 + "]" * 100_000])
def test_invalid_config_file_warns_and_uses_defaults(tmp_path, monkeypatch, text):
    cfg = tmp_path / "kgui.json"
    cfg.write_text(text)
    monkeypatch.setenv("KGUI_CONFIG", str(cfg))
    monkeypatch.delenv("KGUI_BACKEND", raising=False)
    config.reset()
    try:
        with pytest.warns(UserWarning, match="not valid JSON"):
            assert config.default_backend_name() == "tensorflow"
        assert config.floatx() == "float32"
    finally:
        monkeypatch.undo()
        config.reset()


@pytest.mark.parametrize("name", ENGINES)
def test_each_engine_module_satisfies_the_engine_protocol(name):
    from kgui.backend import engine_protocol

    load_or_skip(name)
    module = importlib.import_module(f"kgui.backend.{name}_backend")
    assert engine_protocol.problems(module) == []
    assert module.NAME == name


def test_a_module_short_of_the_engine_protocol_is_refused_naming_what_it_lacks():
    import types

    from kgui.backend import engine_protocol

    complete = importlib.import_module(f"kgui.backend.{sorted(INSTALLED)[0]}_backend")   # its entries are copied
    module = types.ModuleType("kgui.backend.half_backend")
    vars(module).update({name: getattr(complete, name) for name in ("NAME", *engine_protocol.OPS) if name != "tanh"})
    module.softmax = lambda x: x
    with pytest.raises(TypeError) as caught:
        engine_protocol.check(module)
    message = str(caught.value)
    assert message.startswith("kgui.backend.half_backend is not a kgui engine module: ")
    assert "tanh(x): missing" in message and "compile(trace, specs, variables): missing" in message
    assert "softmax: parameters (x), the protocol's are (x, axis)" in message and "add" not in message


def test_engine_modules_share_one_function_set():
    from kgui.backend import symbolic

    def public(module):
        return {name for name, value in vars(module).items()
                if callable(value) and not name.startswith("_") and getattr(value, "__module__", None) == module.__name__}

    modules = {name: importlib.import_module(f"kgui.backend.{name}_backend") for name in ENGINES if name in INSTALLED}
    reference = public(modules["tensorflow"])
    for name, module in modules.items():
        assert public(module) == reference, name
    engine_ops = set(symbolic.BUILDERS) - {"gradients"} | {"negative", "getitem", "constant", "gradients"}
    assert engine_ops <= reference
