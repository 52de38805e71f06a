"""Every kgui.backend function agrees with a NumPy reference, on every engine."""
import numpy as np
import pytest

import kgui.backend
from engine_support import ENGINES, INSTALLED, load_or_skip

RTOL = 1e-5


@pytest.fixture(params=ENGINES, scope="module")
def K(request):
    return load_or_skip(request.param)


rng = np.random.RandomState(42)
A = rng.randn(4, 3).astype(np.float32)
B = rng.randn(3, 5).astype(np.float32)
P = rng.rand(4, 3).astype(np.float32) + 0.1          # positive, for log/sqrt
V = rng.randn(3).astype(np.float32)
ONE_HOT = np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]
PROBS = (P / P.sum(-1, keepdims=True)).astype(np.float32)


def softmax_np(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def assert_matches(K, expr, expected, rtol=RTOL):
    result = K.eval(expr)
    assert isinstance(result, np.ndarray)
    np.testing.assert_allclose(result, expected, rtol=rtol, atol=1e-6)
    assert result.shape == np.shape(expected)


UNARY = [
    ("square", np.square, A), ("abs", np.abs, A), ("sqrt", np.sqrt, P), ("exp", np.exp, A), ("log", np.log, P),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x)), A), ("tanh", np.tanh, A), ("relu", lambda x: np.maximum(x, 0), A),
    ("softmax", softmax_np, A), ("transpose", np.transpose, A),
]


@pytest.mark.parametrize("name,reference,value", UNARY, ids=[u[0] for u in UNARY])
def test_unary_functions_match_numpy(K, name, reference, value):
    assert_matches(K, getattr(K, name)(K.variable(value)), reference(value))


BINARY = [
    ("maximum", np.maximum), ("minimum", np.minimum), ("equal", np.equal), ("add", np.add),
    ("subtract", np.subtract), ("multiply", np.multiply), ("divide", np.divide),
]


@pytest.mark.parametrize("name,reference", BINARY, ids=[b[0] for b in BINARY])
def test_binary_functions_match_numpy(K, name, reference):
    other = np.round(A * 2) / 2  # some exact ties for equal/maximum
    other[other == 0] = 0.5
    assert_matches(K, getattr(K, name)(K.variable(A), K.constant(other)), reference(A, other))


@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), (1, True), (-1, False)])
def test_reductions_match_numpy(K, axis, keepdims):
    x = K.variable(A)
    assert_matches(K, K.sum(x, axis=axis, keepdims=keepdims), A.sum(axis=axis, keepdims=keepdims))
    assert_matches(K, K.mean(x, axis=axis, keepdims=keepdims), A.mean(axis=axis, keepdims=keepdims))
    assert_matches(K, K.max(x, axis=axis, keepdims=keepdims), A.max(axis=axis, keepdims=keepdims))


def test_dot_has_numpy_semantics(K):
    assert_matches(K, K.dot(K.variable(A), K.variable(B)), A @ B)
    assert_matches(K, K.dot(K.variable(A), K.variable(V)), A @ V)
    assert_matches(K, K.dot(K.variable(V), K.variable(V)), V @ V)
    C = rng.randn(2, 4, 3).astype(np.float32)
    assert_matches(K, K.dot(K.variable(C), K.variable(B)), np.dot(C, B))


def test_argmax_cast_clip(K):
    x = K.variable(A)
    assert_matches(K, K.argmax(x, axis=-1), A.argmax(-1))
    assert K.eval(K.argmax(x)).dtype == np.int64
    assert_matches(K, K.cast(K.argmax(x, axis=0), "float32"), A.argmax(0).astype(np.float32))
    assert_matches(K, K.clip(x, -0.5, 0.5), np.clip(A, -0.5, 0.5))


def test_categorical_crossentropy_keras_2_argument_order(K):
    target, probs = K.constant(ONE_HOT), K.constant(PROBS)
    expected = -np.sum(ONE_HOT * np.log(PROBS), axis=-1)
    assert_matches(K, K.categorical_crossentropy(target, probs), expected)
    logits = K.constant(A)
    from_logits = -np.sum(ONE_HOT * np.log(softmax_np(A)), axis=-1)
    assert_matches(K, K.categorical_crossentropy(target, logits, from_logits=True), from_logits)


def test_binary_crossentropy(K):
    t = (A > 0).astype(np.float32)
    p = 1 / (1 + np.exp(-A))
    expected = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert_matches(K, K.binary_crossentropy(K.constant(t), K.constant(p)), expected, rtol=1e-4)
    assert_matches(K, K.binary_crossentropy(K.constant(t), K.constant(A), from_logits=True), expected, rtol=1e-4)


def test_python_operators_build_expressions(K):
    x, y = K.variable(A), K.variable(np.abs(A) + 1)
    assert_matches(K, -x + 2 * x - x / y ** 2, -A + 2 * A - A / (np.abs(A) + 1) ** 2)
    assert_matches(K, 1 - x, 1 - A)
    assert_matches(K, x @ K.variable(B), A @ B)
    assert_matches(K, K.cast(x > 0, "float32"), (A > 0).astype(np.float32))
    assert_matches(K, x[:, 1], A[:, 1])


def test_variables_constants_and_values(K):
    assert K.backend() in ENGINES
    assert K.floatx() == "float32" and K.epsilon() == pytest.approx(1e-7)
    w = K.variable(np.random.rand(93, 9))  # float64 data, like the notebook
    assert K.get_value(w).dtype == np.float32 and K.int_shape(w) == (93, 9) and K.ndim(w) == 2
    np.testing.assert_array_equal(K.eval(K.zeros((2, 3))), np.zeros((2, 3)))
    np.testing.assert_array_equal(K.eval(K.ones((2,))), np.ones(2))
    np.testing.assert_array_equal(K.eval(K.constant(3.0, shape=(2, 2))), np.full((2, 2), 3.0))
    a, b = K.variable(1.0), K.variable([1, 2], dtype="int32")
    assert [v.dtype for v in K.batch_get_value([a, b])] == [np.float32, np.int32]


def test_random_variables_are_seeded_and_engine_independent(K):
    u = K.get_value(K.random_uniform_variable((3, 4), -1, 1, seed=7))
    n = K.get_value(K.random_normal_variable((3, 4), 0, 2, seed=7))
    np.testing.assert_array_equal(u, np.random.RandomState(7).uniform(-1, 1, (3, 4)).astype(np.float32))
    np.testing.assert_array_equal(n, np.random.RandomState(7).normal(0, 2, (3, 4)).astype(np.float32))
    assert np.all((u >= -1) & (u < 1))


def test_gradients_match_analytic(K):
    w = K.variable(V)
    x = K.placeholder(shape=(None, 3))
    loss = K.mean(K.square(K.dot(x, w)))
    grad, = K.gradients(loss, [w])
    f = K.function([x], [grad])
    expected = 2 * A.T @ (A @ V) / len(A)
    np.testing.assert_allclose(f([A])[0], expected, rtol=1e-5)


def test_gradient_of_non_scalar_loss_is_gradient_of_its_sum(K):
    w = K.variable(V)
    per_sample = K.square(K.dot(K.constant(A), w))
    grad, = K.gradients(per_sample, [w])
    np.testing.assert_allclose(K.eval(grad), 2 * A.T @ (A @ V), rtol=1e-5)


def test_gradient_of_unrelated_variable_is_zero(K):
    w, unused = K.variable(V), K.variable(A)
    _, g = K.gradients(K.sum(w), [w, unused])
    np.testing.assert_array_equal(K.eval(g), np.zeros_like(A))


def test_crossentropy_from_large_logits_stays_finite(K):
    w = K.variable(np.full((3, 3), 400.0))
    logits = K.dot(K.constant(np.ones((2, 3))), w) * K.constant([1.0, 2.0, 3.0])
    loss = K.mean(K.categorical_crossentropy(K.constant(ONE_HOT[:2]), logits, from_logits=True))
    grad, = K.gradients(loss, [w])
    value, gradient = K.function([], [loss, grad])([])
    assert np.isfinite(value) and np.all(np.isfinite(gradient))
    assert float(value) == pytest.approx(1200.0)  # rows: 3600 - 1200 and 0


def test_theano_softmax_runs_compiled_and_leaves_no_file_in_the_temp_folder(tmp_path, monkeypatch):
    """PyTensor's softmax rewrite ran kgui's softmax through an inner numba function that wrote a /tmp file each time."""
    import tempfile
    K = load_or_skip("theano")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    x = K.placeholder(shape=(None, 7))
    predict = K.function([x], [K.softmax(x)])
    value = rng.randn(6, 7).astype(np.float32)
    np.testing.assert_allclose(predict([value])[0], softmax_np(value), rtol=RTOL, atol=1e-6)
    assert list(tmp_path.iterdir()) == []
