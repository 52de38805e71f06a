"""The code behind a run: an experiment as one standalone Python script in the K API.

The script imports ``kgui.backend as K`` and NumPy (pandas for CSV files, scikit-learn for its bundled
sets), nothing else of kgui: it builds the same data (same split, standardisation and batch order),
the same model, loss and Keras 2 optimizer updates, one ``K.function``, and the training loop
printing the notebook's ``Loss:`` lines at the steps ``kgui run`` prints them, in the same format (6 significant
digits). Run with the same engine, it prints the run's losses.
"""
from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

from ..training import schedules
from ..data import toy_datasets
from ..training.models import architecture_for
from ..training.optimizers import HYPER_PARAMETERS
from .settings import ExperimentSettings

PRINT_EVERY = 20            # as kgui run prints them
LOSS_FORMAT = ".6g"         # the Loss: lines of kgui run and of the scripts alike: 6 significant digits


def loss_line(loss: float, params: dict | None = None) -> str:
    """The notebook's line: ``Loss: 0.146707``, or ``Loss: 0.0123457, w, b: [0.95, 0.25]`` for a one-feature
    linear regression (``params`` w and b); an exported script prints the same."""
    line = f"Loss: {loss:{LOSS_FORMAT}}"
    return f"{line}, w, b: [{params['w']:.2f}, {params['b']:.2f}]" if params else line
SCRIPT_SUFFIX = ".py"


def _literal(value) -> str:
    """A Python literal for ``value`` (floats exactly, via repr)."""
    return repr(value)


def _data_section(settings: ExperimentSettings, dataset) -> str:
    """Code leaving float32 ``x`` (rows, features) and targets ``codes``/``values`` in the script, split and scaled."""
    name, options, seed = settings.dataset, dict(settings.dataset_options), settings.seed
    if name == "linear":
        n, noise = options.get("n", 1000), options.get("noise", 0.0)
        slope, intercept = options.get("slope", 0.96), options.get("intercept", 0.24)
        load = f'''\
            # The notebook's exercise: y = {slope}·x + {intercept} (+ noise), x ~ U(0, 1); kept unscaled
            rng = np.random.RandomState({seed})
            x = rng.rand({n}, 1)
            target = {_literal(slope)} * x[:, 0] + {_literal(intercept)} + {_literal(noise)} * rng.randn({n})'''
        return textwrap.dedent(load) + _split(settings, standardise=False, classification=False)
    if name in toy_datasets.PROBLEMS:
        problem = toy_datasets.PROBLEMS[name]
        data_seed = seed if settings.data_seed is None else settings.data_seed
        n = options.get("n", toy_datasets.DEFAULT_N[problem.task])
        noise = options.get("noise", 0.0)
        source = "\n\n".join(inspect.getsource(function) for function in (toy_datasets._uniform, problem.generate))
        if name == "multi-gaussian":
            source = ("MULTI_GAUSSIAN_CENTRES = np.array(" + repr(toy_datasets.MULTI_GAUSSIAN_CENTRES.tolist())
                      + ", dtype=np.float64)\n\n\n" + source)
        load = f"""\
# TensorFlow Playground's {name} ({problem.description}), raw coordinates
{source}

x, target = {problem.generate.__name__}({n}, {_literal(float(noise))}, np.random.RandomState({data_seed}))
"""
        if problem.task == "classification":
            load += "target = (target == 1).astype(np.int64)  # classes '-1' (0) and '+1' (1)\n"
        return load + _split(settings, standardise=False, classification=problem.task == "classification")
    if name == "otto":
        from ..data.datasets import find_otto_file

        path = find_otto_file(options.get("path")).resolve()
        load = f"""\
# The Otto Group Product Classification Challenge's train.csv: 93 count features, classes Class_1..Class_9
import pandas as pd

frame = pd.read_csv({str(path)!r})
features = [column for column in frame.columns if column not in ("id", "target")]
x = frame[features].to_numpy(np.float64).astype(np.float32)
class_names, target = np.unique(frame["target"].astype(str).to_numpy(), return_inverse=True)
"""
        return load + _split(settings, standardise=True, classification=True, table=True)
    if dataset is None:
        raise ValueError(f"exporting {name} as a script needs its loaded data")
    classification = dataset.task == "classification"
    if _is_bundled(name):
        loader = _bundled_loader(name)
        load = f"""\
# scikit-learn's bundled {name} data
from sklearn.datasets import {loader}

bunch = {loader}()
x, target = bunch.data.astype(np.float64), bunch.target
"""
        return load + _split(settings, standardise=True, classification=classification)
    path = Path(name).resolve()
    features = list(dataset.raw_feature_names)
    target_column = options.get("target") or _csv_target(dataset, path)
    load = f"""\
# The CSV file {path.name}: {len(features)} feature column(s), target column {target_column!r} ({dataset.task})
import pandas as pd

frame = pd.read_csv({str(path)!r}, skipinitialspace=True)
frame.columns = [str(column).strip() for column in frame.columns]
x = frame[{features!r}].apply(pd.to_numeric).to_numpy(np.float64)
"""
    if classification:   # as kgui reads labels: text without surrounding spaces; numbers when all are numbers
        load += (f"labels = frame[{target_column!r}].astype(str).str.strip()\n"
                 "numbers = pd.to_numeric(labels, errors=\"coerce\")\n"
                 "values = labels.to_numpy(dtype=str) if numbers.isna().any() else numbers.to_numpy()\n"
                 "class_names, target = np.unique(values, return_inverse=True)\n")
    else:
        load += f"target = pd.to_numeric(frame[{target_column!r}]).to_numpy(np.float64)\n"
    return load + _split(settings, standardise=True, classification=classification, table=True)


def _is_bundled(name: str) -> bool:
    from ..data import datasets

    return name in datasets.BUNDLED


def _bundled_loader(name: str) -> str:
    from ..data import datasets

    entry = datasets.BUNDLED[name]
    return entry[0]


def _csv_target(dataset, path: Path) -> str:
    """The target column of a CSV dataset: the one column of the header that is not a feature."""
    import csv

    with open(path, newline="", encoding="utf-8-sig") as handle:
        header = next(row for row in csv.reader(handle) if row)   # the first row that is not blank, as kgui reads it
    return next(name for name in map(str.strip, header) if name not in dataset.raw_feature_names)


def _split(settings: ExperimentSettings, standardise: bool, classification: bool, table: bool = False) -> str:
    """The input features (``table``: computed into float32, as files' columns are), the seeded split, the
    standardisation and the targets."""
    lines = "\n" + settings.input_features().script_lines(float32=table)
    lines += f"""
# Seeded split: the first rows of a permutation are held out for validation
val_fraction = {_literal(settings.val_fraction)}
n_val = max(1, round(len(x) * val_fraction)) if val_fraction > 0 else 0
train_rows = np.random.RandomState({settings.seed}).permutation(len(x))[n_val:]
x_train = x[train_rows].astype(np.float64)
"""
    if standardise:
        lines += """\
mean, scale = x_train.mean(axis=0), x_train.std(axis=0)  # standardised with training-split statistics
scale[scale < 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1.0)] = 1.0
x_train = (x_train - mean) / scale
"""
    lines += "x_train = np.ascontiguousarray(x_train, dtype=np.float32)\n"
    if classification:
        lines += ("n_classes = int(target.max()) + 1\n"
                  "y_train = np.eye(n_classes, dtype=np.float32)[target[train_rows]]  # one-hot\n")
    else:
        lines += "y_train = np.asarray(target[train_rows], dtype=np.float32).reshape(-1, 1)\n"
    return lines


def _model_section(settings: ExperimentSettings, dataset) -> str:
    model = settings.resolved_model(dataset.task)
    architecture = architecture_for(model, dataset, settings.hidden, settings.activation)
    widths, names = architecture.widths, architecture.parameter_names()
    classification = dataset.task == "classification"
    lines = [f"# Model: {settings.describe_model(dataset.task).split(' · ')[0]}, "
             f"layers {' → '.join(map(str, widths))}",
             f'X = K.placeholder(shape=(None, {widths[0]}), dtype="float32", name="X")',
             f'Y = K.placeholder(shape=(None, {widths[-1]}), dtype="float32", name="Y")',
             f"rng = np.random.RandomState({settings.seed})"]
    if architecture.initializer == "uniform":
        lines.append("# initial weights uniform on [0, 1), like the notebook's np.random.rand")
    else:
        lines.append("# Glorot-uniform weights, zero biases (Keras' Dense)")
    for layer, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
        w, b = names[2 * layer], names[2 * layer + 1]
        if architecture.initializer == "uniform":
            lines += [f'{w} = K.variable(rng.rand({fan_in}, {fan_out}).astype(np.float32), name="{w}")',
                      f'{b} = K.variable(rng.rand({fan_out}).astype(np.float32), name="{b}")']
        else:
            lines += [f"limit = math.sqrt(6.0 / ({fan_in} + {fan_out}))",
                      f'{w} = K.variable(rng.uniform(-limit, limit, ({fan_in}, {fan_out})).astype(np.float32), '
                      f'name="{w}")',
                      f'{b} = K.variable(np.zeros({fan_out}, dtype=np.float32), name="{b}")']
    activation = {"relu": "K.relu({})", "tanh": "K.tanh({})", "sigmoid": "K.sigmoid({})", "linear": "{}"}
    lines.append("h = X")
    for layer in range(architecture.n_layers):
        w, b = names[2 * layer], names[2 * layer + 1]
        if layer < architecture.n_layers - 1:
            lines.append("h = " + activation[architecture.activation].format(f"K.dot(h, {w}) + {b}"))
        else:
            lines.append(f"output = K.dot(h, {w}) + {b}  # {'logits' if classification else 'predictions'}")
    if classification:
        lines.append("loss = K.mean(K.categorical_crossentropy(Y, output, from_logits=True))")
    else:
        lines.append("loss = K.mean(K.square(output - Y))")
    if settings.l2:
        lines.append(f"l2 = {_literal(settings.l2)}")
        lines += [f"loss = loss + l2 * K.sum(K.square({w}))" for w in names[::2]]
    if settings.l1:
        lines.append(f"l1 = {_literal(settings.l1)}")
        lines += [f"loss = loss + l1 * K.sum(K.abs({w}))" for w in names[::2]]
    lines.append(f"params = [{', '.join(names)}]")
    return "\n".join(lines) + "\n"


def _optimizer_section(settings: ExperimentSettings) -> str:
    config = settings.optimizer_config()
    hyper = "".join(f"{name} = {_literal(getattr(config, name))}\n" for name in HYPER_PARAMETERS[config.name]
                    if name != "nesterov")
    head = (f"# Optimizer: {config.describe()}, Keras 2's update rule as (variable, new value) pairs\n"
            f'lr = K.variable(np.float32({_literal(settings.learning_rate)}), name="lr")  # K.set_value(lr, ...) '
            "changes the next step\n" + hyper + "grads = K.gradients(loss, params)\n")
    if config.name == "sgd" and not config.momentum:
        return head + "updates = [(p, p - lr * g) for p, g in zip(params, grads)]\n"
    zeros = "K.variable(np.zeros(K.int_shape(p), dtype=np.float32))"
    if config.name == "sgd":
        step = "p + momentum * v - lr * g" if config.nesterov else "p + v"
        return head + textwrap.dedent(f"""\
            updates = []
            for p, g in zip(params, grads):
                m = {zeros}
                v = momentum * m - lr * g  # velocity
                updates += [(m, v), (p, {step})]{"  # Nesterov" if config.nesterov else ""}
            """)
    if config.name in ("rmsprop", "adagrad"):
        accumulate = "rho * a + (1.0 - rho) * K.square(g)" if config.name == "rmsprop" else "a + K.square(g)"
        return head + textwrap.dedent(f"""\
            updates = []
            for p, g in zip(params, grads):
                a = {zeros}
                new_a = {accumulate}
                updates += [(a, new_a), (p, p - lr * g / (K.sqrt(new_a) + epsilon))]
            """)
    return head + textwrap.dedent(f"""\
        iterations = K.variable(np.float32(0), name="iterations")
        t = iterations + 1.0
        lr_t = lr * (K.sqrt(1.0 - K.pow(beta_2, t)) / (1.0 - K.pow(beta_1, t)))
        updates = [(iterations, t)]
        for p, g in zip(params, grads):
            m = {zeros}
            v = {zeros}
            m_t = beta_1 * m + (1.0 - beta_1) * g
            v_t = beta_2 * v + (1.0 - beta_2) * K.square(g)
            updates += [(m, m_t), (v, v_t), (p, p - lr_t * m_t / (K.sqrt(v_t) + epsilon))]
        """)


def _schedule_section(settings: ExperimentSettings) -> str:
    """The learning-rate schedule's formula (kgui's own function), or nothing for a constant rate."""
    config = settings.schedule_config()
    if not config.scheduled:
        return ""
    return (f"# Learning-rate schedule: {config.describe()}, fed to lr before each step\n"
            + inspect.getsource(schedules.scheduled_rate))


def _loop_section(settings: ExperimentSettings, steps: int, lr_changes, one_feature_line: bool) -> str:
    lines = ['train = K.function(inputs=[X, Y], outputs=[loss], updates=updates, name="train")', ""]
    if settings.batch_size is None:
        lines.append("batch_rows = None  # full batch")
    else:
        lines += [f"batch_size = {settings.batch_size}",
                  f"shuffle = np.random.RandomState({settings.seed})  # a new order each epoch, full batches only",
                  "order, position = np.empty(0, dtype=np.int64), 0"]
    config = settings.schedule_config()
    if lr_changes:
        lines.append(f"lr_changes = {dict(lr_changes)!r}  # step: rate, as the run's slider set them")
    lines += [f"steps = {steps}", f"print_every = {PRINT_EVERY}  # steps between two printed losses (and the last)"]
    if config.scheduled:
        lines += [f"base = {_literal(settings.learning_rate)}  # the slider's rate; the schedule scales with it",
                  f"schedule = {_literal((config.name, config.decay, config.drop, config.every, config.max_lr or 0.0))}"
                  "  # name, decay, drop, every, max_lr"]
    lines.append("for step in range(1, steps + 1):")
    if lr_changes and config.scheduled:
        lines += ["    if step in lr_changes:", "        base = lr_changes[step]"]
    elif lr_changes:
        lines += ["    if step in lr_changes:", "        K.set_value(lr, np.float32(lr_changes[step]))"]
    if config.scheduled:
        lines.append(f"    K.set_value(lr, np.float32(scheduled_rate(step - 1, steps, "
                     f"{_literal(settings.learning_rate)}, base, *schedule)))")
    if settings.batch_size is None:
        lines.append("    x_batch, y_batch = x_train, y_train")
    else:
        lines += ["    if position + batch_size > len(order):",
                  "        order, position = shuffle.permutation(len(x_train)), 0",
                  "    rows = order[position:position + batch_size]",
                  "    position += batch_size",
                  "    x_batch, y_batch = x_train[rows], y_train[rows]"]
    lines.append("    current_loss = train([x_batch, y_batch])[0]  # the loss before this step's update")
    lines.append("    if (step - 1) % print_every == 0 or step == steps:")
    if one_feature_line:
        lines.append(f"        print(f\"Loss: {{current_loss:{LOSS_FORMAT}}}, w, b: [{{K.eval(W)[0, 0]:.2f}}, "
                     "{K.eval(b)[0]:.2f}]\")")
    else:
        lines.append(f'        print(f"Loss: {{current_loss:{LOSS_FORMAT}}}")')
    return "\n".join(lines) + "\n"


def experiment_script(settings: ExperimentSettings, dataset, engine: str | None = None, lr_changes=()) -> str:
    """The standalone K-API script of ``settings`` trained on ``dataset`` (the loaded data, for its task and
    features); ``lr_changes`` (step, rate) pairs replay a run's slider moves."""
    settings.validate()
    engine = engine or settings.backend
    steps = settings.planned_steps(len(dataset.x_train))
    model = settings.resolved_model(dataset.task)
    sections = [
        f'"""{settings.dataset} · {settings.describe_model(dataset.task)} · lr {settings.learning_rate:g} · '
        f'{steps} steps, written by kgui.\n\nRun it with python; the engine is $KGUI_BACKEND, else {engine}.\n"""',
        ("import math\n" if model == "mlp" or settings.schedule_config().scheduled else "") + "import os\n\nimport numpy as np\n\n"
        f'os.environ.setdefault("KGUI_BACKEND", "{engine}")  # the run\'s engine; set KGUI_BACKEND to try another\n'
        "import kgui.backend as K  # noqa: E402 - the Keras 2 backend API over the engine\n",
        _data_section(settings, dataset),
        _model_section(settings, dataset),
        _optimizer_section(settings),
        _schedule_section(settings),
        _loop_section(settings, steps, lr_changes, one_feature_line=model == "linear" and dataset.n_features == 1),
    ]
    return "\n\n".join(section.rstrip("\n") for section in sections if section) + "\n"


def write_script(path, text: str) -> Path:
    """Write a script to ``path`` (must end in .py)."""
    from ..files import write_output

    path = Path(path)
    if path.suffix.lower() != SCRIPT_SUFFIX:
        raise ValueError(f"a script must be written to a .py file, got {path}")
    write_output(path, text)
    return path
