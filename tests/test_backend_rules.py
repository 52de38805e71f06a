"""One behaviour on every engine where the engines differ natively (README: "One rule on every engine")."""
import threading

import numpy as np
import pytest

from engine_support import ENGINES, load_or_skip


@pytest.fixture(params=ENGINES, scope="module")
def K(request):
    return load_or_skip(request.param)


def test_gradient_of_an_integer_variable_is_a_type_error(K):
    counts = K.variable([1, 2, 3], dtype="int32", name="counts")
    loss = K.sum(K.cast(counts, "float32"))
    with pytest.raises(TypeError, match="variable counts is int32; only float variables have gradients"):
        K.gradients(loss, [counts])


def test_reshape_takes_at_most_one_minus_one(K):
    x = K.variable(np.arange(6.0))
    with pytest.raises(ValueError, match=r"reshape: \(-1, -1\) is not a shape"):
        K.reshape(x, (-1, -1))
    with pytest.raises(ValueError, match=r"cannot reshape a tensor of shape \(6,\) \(6 values\) into \(4, -1\)"):
        K.reshape(x, (4, -1))
    np.testing.assert_array_equal(K.eval(K.reshape(x, (-1, 3))), np.arange(6.0).reshape(2, 3))
    fed = K.placeholder(ndim=1, name="fed")
    f = K.function([fed], [K.reshape(fed, (2, -1))], name="halves")
    np.testing.assert_array_equal(f([np.arange(4.0)])[0], [[0, 1], [2, 3]])
    with pytest.raises(ValueError, match=r"^halves: reshape: cannot reshape a tensor of shape \(5,\)"):
        f([np.arange(5.0)])


def test_floats_fed_to_an_integer_placeholder_are_refused(K):
    x = K.placeholder(shape=(3,), dtype="int8", name="small")
    f = K.function([x], [K.sum(x * 2), x])
    with pytest.raises(TypeError, match=r"input 0 \(small\) is int8, got float64 data: floats are not cast"):
        f([np.array([3.7, 300, -1.5])])
    with pytest.raises(ValueError, match=r"input 0 \(small\) is int8 \(-128 to 127\), got values from -1 to 300"):
        f([np.array([3, 300, -1])])


def test_integer_results_keep_the_declared_dtype_and_wrap_alike(K):
    x = K.placeholder(shape=(3,), dtype="int8")
    total, doubled = K.function([x], [K.sum(x * 2), x * 2])([np.array([3, 100, -1])])  # int64 data that fits
    assert total.dtype == np.int8 and doubled.dtype == np.int8
    np.testing.assert_array_equal(doubled, np.array([6, 200, -2]).astype(np.int8))  # 200 wraps to -56
    assert int(total) == -52


def test_calls_from_several_threads_lose_no_update(K):
    counter = K.variable(0.0)
    x = K.placeholder(shape=(4,))
    step = K.function([x], [K.sum(x)], updates=[(counter, counter + 1)])
    threads, calls = 8, 1000  # without the lock TensorFlow loses a few updates in 8000 calls
    step([np.ones(4)])  # compile first
    workers = [threading.Thread(target=lambda: [step([np.ones(4)]) for _ in range(calls)]) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert float(K.get_value(counter)) == 1 + threads * calls


def test_batch_and_dot_shape_mismatches_are_one_line_value_errors(K):
    x = K.placeholder(shape=(None, 3), name="x")
    target = K.placeholder(shape=(None, 2), name="target")
    w = K.variable(np.ones((3, 2)), name="w")
    loss = K.mean(K.square(K.dot(x, w) - target))
    grad, = K.gradients(loss, [w])
    train = K.function([x, target], [loss], updates=[(w, w - 0.1 * grad)], name="train")
    with pytest.raises(ValueError) as caught:
        train([np.ones((10, 3)), np.ones((12, 2))])
    assert str(caught.value) == "train: shapes (10, 2) and (12, 2) cannot be broadcast together"
    np.testing.assert_array_equal(K.get_value(w), np.ones((3, 2)))  # nothing applied
    rankless = K.placeholder(ndim=2, name="m")
    product = K.function([rankless], [K.dot(rankless, w)], name="product")
    with pytest.raises(ValueError, match=r"^product: dot: shapes \(4, 5\) and \(3, 2\) are not aligned \(5 != 3\)$"):
        product([np.ones((4, 5))])
    assert product([np.ones((4, 3))])[0].shape == (4, 2)


def test_update_of_the_wrong_shape_is_a_clear_value_error(K):
    v = K.variable(np.zeros(2), name="v")
    with pytest.raises(ValueError, match=r"the update of v has shape \(5,\), but the variable has shape \(2,\)"):
        K.function([], [], updates=[(v, K.variable(np.ones(5)))])
    x = K.placeholder(ndim=1, name="x")
    assign = K.function([x], [], updates=[(v, x)], name="assign")
    with pytest.raises(ValueError, match=r"^assign: the update of v has shape \(5,\), but the variable has shape"):
        assign([np.ones(5)])
    assign([np.ones(2)])
    np.testing.assert_array_equal(K.get_value(v), np.ones(2))


def test_out_of_range_index_and_axis_are_errors(K):
    x = K.variable(np.ones((2, 3)))
    with pytest.raises(IndexError, match="index 5 is out of range for an axis of size 2"):
        x[5]
    with pytest.raises(ValueError, match=r"axis 2 is out of range for a tensor of shape \(2, 3\)"):
        K.sum(x, axis=2)
