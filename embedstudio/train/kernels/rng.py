"""Explicit 64-bit random state for kernels: splitmix64 to seed, xorshift64* to draw.

Every kernel call gets its seed from (run seed, chunk number), so a chunk's random choices do
not depend on which thread runs it or on whether the run was resumed.
"""

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_STAR = np.uint64(0x2545F4914F6CDD1D)
_S12 = np.uint64(12)
_S25 = np.uint64(25)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_S40 = np.uint64(40)
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_INV24 = 1.0 / 16777216.0


@njit(nogil=True, cache=True, inline="always")
def splitmix64(x):
    """A well-mixed, never-zero 64-bit state from any integer seed."""
    z = np.uint64(x) + _GOLDEN
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    z = z ^ (z >> _S31)
    if z == np.uint64(0):
        z = _GOLDEN
    return z


@njit(nogil=True, cache=True, inline="always")
def next_state(s):
    s ^= s >> _S12
    s ^= s << _S25
    s ^= s >> _S27
    return s


@njit(nogil=True, cache=True, inline="always")
def output(s):
    """The xorshift64* output of a state (the state itself has weak low bits)."""
    return s * _STAR


@njit(nogil=True, cache=True, inline="always")
def uniform01(r):
    """A float in [0, 1) from the top 24 bits of an output."""
    return np.float32((r >> _S40) * _INV24)


@njit(nogil=True, cache=True, inline="always")
def below(r, n):
    """An integer in [0, n) from the low 32 bits of an output, by multiply-shift (no division)."""
    return np.int64(((r & _LOW32) * np.uint64(n)) >> _S32)


def chunk_seed(seed: int, chunk: int) -> int:
    """The seed of one unit of work, a pure function of the run seed and the chunk number."""
    x = (int(seed) * 0x9E3779B97F4A7C15 + int(chunk) * 0xD1B54A32D192ED03 + 1) % (1 << 64)
    return x - (1 << 64) if x >= (1 << 63) else x  # as int64: kernels take signed 64-bit seeds
