"""Counter-based randomness for StochasTok: every draw is a hash of (seed, example index, counter).

No generator state is carried between examples, so an example's result depends only on the seed,
its index and its tokens: the same whatever the batch size, the number of workers or the order.
The hash is the splitmix64 finaliser (Steele et al. 2014), vectorised over numpy ``uint64``
arrays (multiplication wraps modulo 2**64 by design).

>>> int(mix(np.array([0], dtype=np.uint64))[0]), int(mix(np.array([1], dtype=np.uint64))[0])
(0, 6238072747940578789)
>>> example_keys(3, np.array([0, 7])).tolist() == [example_key(3, 0), example_key(3, 7)]
True
>>> int(stream(np.array([5], dtype=np.uint64), 2, salt(1))[0]) == stream_int(5, 2, salt(1))
True
>>> stream_range(5, 3, salt(1)).tolist() == stream(5, np.arange(3), salt(1)).tolist()
True
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31, _S32, _S11 = (np.uint64(s) for s in (30, 27, 31, 32, 11))


def mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser of a ``uint64`` array (a new array)."""
    x = x ^ (x >> _S30)
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    x ^= x >> _S31
    return x


_MASK = (1 << 64) - 1


def mix_int(x: int) -> int:
    """`mix` on one Python int (same result, no numpy call overhead)."""
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & _MASK
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def stream_int(key: int, counter: int, salt_value) -> int:
    """`stream` on one Python int."""
    return mix_int(((key + (counter + 1) * 0x9E3779B97F4A7C15) & _MASK) ^ int(salt_value))


def below_int(draw: int, n: int) -> int:
    return ((draw >> 32) * n) >> 32


def unit_int(draw: int) -> float:
    return (draw >> 11) * (1.0 / 9007199254740992.0)


def check_seed(seed) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2**64:
        raise InputError("seed must be an integer in [0, 2**64)", where=f"seed={seed!r}", fix="pass e.g. seed=0")
    return int(seed)


_SEED_SALT = 0x5EED5EED5EED5EED


def example_key(seed: int, index: int) -> int:
    """The 64-bit key of one example (equals ``example_keys(seed, [index])[0]``)."""
    s = mix_int(check_seed(seed) ^ _SEED_SALT)
    return mix_int((s + (int(index) + 1) * 0x9E3779B97F4A7C15) & _MASK)


def example_keys(seed: int, indices: np.ndarray) -> np.ndarray:
    """One 64-bit key per example from the seed and the example's index."""
    s = np.uint64(mix_int(check_seed(seed) ^ _SEED_SALT))
    idx = np.asarray(indices).astype(np.uint64)
    return mix(s + (idx + np.uint64(1)) * GOLDEN)


def salt(n: int) -> np.uint64:
    """A mixed constant to separate independent streams (``stream(..., salt(1))``)."""
    return mix(np.array([n], dtype=np.uint64))[0]


_STEPS = np.zeros(0, dtype=np.uint64)


def counter_steps(k: int) -> np.ndarray:
    """``(arange(k) + 1) * GOLDEN`` (wrapping), from a cache that grows as needed: read-only."""
    global _STEPS
    if len(_STEPS) < k:
        steps = (np.arange(max(k, 2 * len(_STEPS), 1024), dtype=np.uint64) + np.uint64(1)) * GOLDEN
        steps.setflags(write=False)
        _STEPS = steps
    return _STEPS[:k]


def stream_range(key: int, k: int, salt_value: np.uint64) -> np.ndarray:
    """``stream(key, arange(k), salt)`` for one key, with the counter products cached."""
    return mix((counter_steps(k) + np.uint64(key)) ^ salt_value)


def stream(keys, counters, salt_value: np.uint64) -> np.ndarray:
    """Draws ``hash(key, counter, salt)`` elementwise; one of ``keys``/``counters`` is an array."""
    if isinstance(counters, np.ndarray):
        step = (counters.astype(np.uint64) + np.uint64(1)) * GOLDEN
    else:  # a scalar: do the wrapping product in Python (numpy warns on scalar overflow)
        step = np.uint64(((int(counters) + 1) * 0x9E3779B97F4A7C15) & _MASK)
    if not isinstance(keys, np.ndarray):
        keys = np.uint64(keys)
    return mix((keys + step) ^ salt_value)


def below(draws: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Map draws to integers in ``[0, n)`` with the high 32 bits (multiply-shift; ``n`` < 2**32)."""
    n = np.uint64(n) if isinstance(n, int) else np.asarray(n).astype(np.uint64)
    return ((draws >> _S32) * n) >> _S32


_LOW = np.uint64(0xFFFFFFFF)
_S31 = np.uint64(31)


def below_low(draws: np.ndarray, n) -> np.ndarray:
    """Like `below` but from the low 32 bits (so one draw can serve two independent uses)."""
    n = np.uint64(n) if isinstance(n, int) else np.asarray(n).astype(np.uint64)
    return ((draws & _LOW) * n) >> _S32


def below_low_int(draw: int, n: int) -> int:
    return ((draw & 0xFFFFFFFF) * n) >> 32


def unit(draws: np.ndarray) -> np.ndarray:
    """Map draws to floats in ``[0, 1)`` (53 bits)."""
    return (draws >> _S11).astype(np.float64) * (1.0 / 9007199254740992.0)
