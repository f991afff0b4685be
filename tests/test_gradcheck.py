"""utils.gradcheck: the oracle itself, on functions whose gradients are known in closed form."""

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from utils import gradcheck
from utils.gradcheck import (
    DEFAULT_STEP,
    RELATIVE_ERROR_FLOOR,
    directional_check,
    elementwise_relative_error,
    gradient_report,
    numerical_gradient,
    numerical_gradients,
    numerical_layer_gradient,
    relative_error,
)

TOLERANCE = 1e-7
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def small_network(rng, m=7):
    """A tanh/linear network with J = 1/(2m) ||W2 tanh(W1 X + b1) + b2 - Y||^2 and its exact gradient."""
    X, Y = rng.standard_normal((4, m)), rng.standard_normal((2, m))
    params = {"W1": rng.standard_normal((3, 4)) * 0.5, "b1": rng.standard_normal((3, 1)) * 0.1,
              "W2": rng.standard_normal((2, 3)) * 0.5, "b2": rng.standard_normal((2, 1)) * 0.1}

    def cost(p):
        A1 = np.tanh(p["W1"] @ X + p["b1"])
        return float(np.sum((p["W2"] @ A1 + p["b2"] - Y) ** 2) / (2 * m))

    A1 = np.tanh(params["W1"] @ X + params["b1"])
    dZ2 = (params["W2"] @ A1 + params["b2"] - Y) / m
    dZ1 = (params["W2"].T @ dZ2) * (1 - A1**2)
    grads = {"dW1": dZ1 @ X.T, "db1": dZ1.sum(axis=1, keepdims=True),
             "dW2": dZ2 @ A1.T, "db2": dZ2.sum(axis=1, keepdims=True)}
    return params, cost, grads


# ---------------------------------------------------------------- relative error


def test_relative_error_definition():
    a, b = np.array([3.0, 4.0]), np.array([3.0, 4.0 + 1e-3])
    assert relative_error(a, b) == pytest.approx(1e-3 / (5.0 + np.linalg.norm(b)), rel=1e-12)
    assert relative_error(np.zeros((2, 3)), np.zeros((2, 3))) == 0.0  # the floor: not 0/0
    assert relative_error(a, -a) == pytest.approx(1.0)
    assert relative_error(2.0, 2.0) == 0.0
    assert relative_error(np.array([1e-20]), np.zeros(1)) == pytest.approx(1e-20 / RELATIVE_ERROR_FLOOR)


@given(hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-1e3, 1e3)),
       hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-1e3, 1e3)))
def test_relative_error_is_symmetric_and_bounded(a, b):
    if a.shape != b.shape:
        with pytest.raises(ValueError, match="equal shapes"):
            relative_error(a, b)
        return
    error = relative_error(a, b)
    assert error == relative_error(b, a)
    assert 0.0 <= error <= 1.0 + 1e-15
    assert np.all(elementwise_relative_error(a, b) <= 1.0 + 1e-15)


# ---------------------------------------------------------------- numerical_gradient


@given(st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_numerical_gradient_of_a_quadratic_form(n, seed):
    """f(x) = x^T Q x + c^T x has gradient (Q + Q^T) x + c."""
    rng = np.random.default_rng(seed)
    Q, c, x = rng.standard_normal((n, n)), rng.standard_normal((n, 1)), rng.standard_normal((n, 1))
    numeric = numerical_gradient(lambda v: (v.T @ Q @ v + c.T @ v).item(), x)
    assert relative_error(numeric, (Q + Q.T) @ x + c) <= TOLERANCE


def test_numerical_gradient_restores_x_bit_for_bit(rng):
    x = rng.standard_normal((3, 5)) * 1e3
    before = x.copy()
    numerical_gradient(lambda v: float(np.sum(np.sin(v))), x)
    assert np.array_equal(x, before) and x.tobytes() == before.tobytes()


def test_numerical_gradient_restores_x_when_f_raises(rng):
    x = rng.standard_normal((2, 2))
    before = x.copy()

    def explodes(v):
        if v[0, 1] != before[0, 1]:
            raise RuntimeError("boom")
        return 0.0

    with pytest.raises(RuntimeError):
        numerical_gradient(explodes, x)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_through_a_closure_and_on_views(rng):
    """Nudging params["W1"] in place is seen by a closure; a transposed view is nudged through."""
    params, cost, grads = small_network(rng)
    assert relative_error(numerical_gradient(lambda _: cost(params), params["W1"]), grads["dW1"]) <= TOLERANCE
    base = rng.standard_normal((4, 3))
    view = base.T  # not contiguous
    numeric = numerical_gradient(lambda v: float(np.sum(v**3)), view)
    assert relative_error(numeric, 3 * view**2) <= TOLERANCE


def test_numerical_gradient_accepts_size_one_arrays_from_f(rng):
    x = rng.standard_normal((3, 1))
    numeric = numerical_gradient(lambda v: v.T @ v, x)  # returns a (1, 1) array
    assert relative_error(numeric, 2 * x) <= TOLERANCE


def test_numerical_gradient_error_messages(rng):
    x = rng.standard_normal((2, 3))
    with pytest.raises(ValueError, match=r"must return a scalar, got an array of shape \(2, 3\)"):
        numerical_gradient(lambda v: v * 2, x)
    with pytest.raises(ValueError, match=r"f returned nan \(with x\[0, 0\] nudged up\)"):
        numerical_gradient(lambda v: float("nan"), x)
    with pytest.raises(ValueError, match="float64 numpy array"):
        numerical_gradient(lambda v: 0.0, x.astype(np.float32))
    with pytest.raises(ValueError, match="float64 numpy array"):
        numerical_gradient(lambda v: 0.0, [1.0, 2.0])
    read_only = x.copy()
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        numerical_gradient(lambda v: 0.0, read_only)
    with pytest.raises(ValueError, match="step must be a positive number"):
        numerical_gradient(lambda v: 0.0, x, step=0.0)


# ---------------------------------------------------------------- numerical_layer_gradient


def test_numerical_layer_gradient_gives_the_linear_layer_gradients(rng):
    """For Z = W A + b and upstream dZ: dW = dZ A^T, dA = W^T dZ, db = row sums of dZ."""
    A, W, b = rng.standard_normal((5, 7)), rng.standard_normal((3, 5)), rng.standard_normal((3, 1))
    dZ = rng.standard_normal((3, 7))
    assert relative_error(numerical_layer_gradient(lambda w: w @ A + b, W.copy(), dZ), dZ @ A.T) <= TOLERANCE
    assert relative_error(numerical_layer_gradient(lambda a: W @ a + b, A.copy(), dZ), W.T @ dZ) <= TOLERANCE
    assert relative_error(numerical_layer_gradient(lambda c: W @ A + c, b.copy(), dZ),
                          dZ.sum(axis=1, keepdims=True)) <= TOLERANCE


def test_numerical_layer_gradient_rejects_a_mismatched_upstream(rng):
    W = rng.standard_normal((3, 5))
    with pytest.raises(ValueError, match=r"forward returned shape \(3, 7\) but upstream has shape \(7, 3\)"):
        numerical_layer_gradient(lambda w: w @ np.ones((5, 7)), W, np.ones((7, 3)))


# ---------------------------------------------------------------- whole networks


def test_numerical_gradients_of_a_network(rng):
    params, cost, grads = small_network(rng)
    numeric = numerical_gradients(cost, params)
    assert set(numeric) == {"W1", "b1", "W2", "b2"}
    for key in params:
        assert relative_error(numeric[key], grads[f"d{key}"]) <= TOLERANCE
    assert set(numerical_gradients(cost, params, keys=["b2"])) == {"b2"}
    with pytest.raises(ValueError, match=r"params has no entries \['W3'\]"):
        numerical_gradients(cost, params, keys=["W3"])


def test_directional_check_accepts_the_right_gradient_and_restores_params(rng):
    params, cost, grads = small_network(rng)
    before = {key: value.copy() for key, value in params.items()}
    results = directional_check(cost, params, grads, n_directions=4)
    assert len(results) == 4
    for result in results:
        assert result.relative_error <= TOLERANCE
        assert result.numeric == pytest.approx(result.analytic, rel=1e-6)
    for key in params:
        assert params[key].tobytes() == before[key].tobytes()
    plain_keys = {key[1:]: value for key, value in grads.items()}  # "W1" instead of "dW1" works too
    assert all(r.relative_error <= TOLERANCE for r in directional_check(cost, params, plain_keys))


@pytest.mark.parametrize(
    "mistake",
    [
        lambda g: {**g, "dW1": 2 * g["dW1"]},
        lambda g: {**g, "db2": -g["db2"]},
        lambda g: {**g, "dW2": g["dW2"] * 7},  # a factor m
    ],
    ids=["doubled dW1", "sign of db2", "factor m in dW2"],
)
def test_directional_check_rejects_wrong_gradients(rng, mistake):
    params, cost, grads = small_network(rng)
    results = directional_check(cost, params, mistake(grads), n_directions=3)
    assert max(r.relative_error for r in results) > 1e-3


def test_directional_check_is_seeded(rng):
    params, cost, grads = small_network(rng)
    assert directional_check(cost, params, grads, seed=1) == directional_check(cost, params, grads, seed=1)
    assert directional_check(cost, params, grads, seed=1) != directional_check(cost, params, grads, seed=2)


def test_directional_check_error_messages(rng):
    params, cost, grads = small_network(rng)
    with pytest.raises(ValueError, match=r"grads has no entry 'db2'"):
        directional_check(cost, params, {k: v for k, v in grads.items() if k != "db2"})
    with pytest.raises(ValueError, match=r"grads\['dW1'\] has shape \(4, 3\) but params\['W1'\] has shape \(3, 4\)"):
        directional_check(cost, params, {**grads, "dW1": grads["dW1"].T})
    with pytest.raises(ValueError, match=r"grads\['db1'\] contains 1 NaN"):
        directional_check(cost, params, {**grads, "db1": np.where(np.arange(3)[:, None] == 0, np.nan, 1.0)})
    with pytest.raises(ValueError, match="n_directions must be a positive integer"):
        directional_check(cost, params, grads, n_directions=0)


# ---------------------------------------------------------------- report and default step


def test_gradient_report_names_the_tensor_and_its_worst_entries():
    analytic = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    numeric = analytic.copy()
    numeric[1, 2] += 0.5
    numeric[0, 1] -= 0.1
    report = gradient_report("dW2", analytic, numeric, worst=2)
    lines = report.splitlines()
    assert lines[0].startswith("dW2: relative error") and "(2, 3)" in lines[0]
    assert "dW2[1, 2]" in lines[1] and "dW2[0, 1]" in lines[2]
    assert "yours  6" in lines[1] and "numerical  6.5" in lines[1]
    assert "shape (3, 2)" in gradient_report("dW2", analytic.T, numeric)


def test_default_step_is_the_one_the_sweep_recommends():
    """benchmarks/README.md records the sweep; its recommendation must be the constant in use."""
    readme = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    match = re.search(r"DEFAULT_STEP = ([0-9.e-]+)", readme)
    assert match, "benchmarks/README.md must state the chosen DEFAULT_STEP"
    assert float(match.group(1)) == DEFAULT_STEP
    # utils/ is shipped to students, who have no benchmarks/: gradcheck.py states the sweep's worst errors itself,
    # and they must be the README table's (rounded to one digit).
    source = Path(gradcheck.__file__).read_text(encoding="utf-8")
    assert "benchmarks/" not in source

    def short(value):
        mantissa, exponent = f"{float(value):.0e}".split("e")
        return f"{mantissa}e{int(exponent)}"

    for h in ("1e-5", "1e-6"):
        row = re.search(rf"^\| {h} \|(.*)$", readme, re.MULTILINE).group(1)
        worst = sorted(float(cell.split("/")[1]) for cell in row.split("|") if "/" in cell)
        quoted = f"{short(worst[0])} to {short(worst[-1])} at h = {h}" if h == "1e-5" else \
            f"{short(worst[0])} to {short(worst[-1])} at {h}"
        assert quoted in " ".join(source.split()), quoted
