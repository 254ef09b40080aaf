"""MiniLM's own arithmetic: what the NumPy encoder computes must stay BERT's, only faster."""
import math

import numpy as np
from scipy.special import erf

from bot.nlu import minilm


def _exact_gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def test_gelu_is_berts_exact_erf_curve_to_float32_rounding():
    x = np.linspace(-12, 12, 480_001, dtype=np.float32)
    np.testing.assert_allclose(minilm._gelu(x), _exact_gelu(x), rtol=0, atol=5e-7)


def test_gelu_keeps_the_float32_batch_shape_and_the_curves_limits():
    x = np.array([[-50.0, -3.0, 0.0], [0.5, 3.0, 50.0]], dtype=np.float32)
    y = minilm._gelu(x)
    assert y.dtype == np.float32 and y.shape == x.shape
    assert y[0, 0] == 0.0 and y[0, 2] == 0.0 and y[1, 2] == 50.0
    assert -0.0041 < y[0, 1] < -0.0040  # GELU(-3) = -0.00405
