"""GPU energy: NVML's counter when the GPU has one, else power integrated over time.

Standard library only. Energy is always in joules; consumers use differences.
"""

from __future__ import annotations

ENERGY_COUNTER = "counter"  # same strings as core.hardware (tracking cannot import core)
ENERGY_INTEGRATED = "integrated"
MAX_GAP_S = 30.0  # a longer gap between two power readings is not bridged


class EnergyIntegrator:
    """Power readings integrated per GPU with the trapezoid rule.

    The integral of a GPU starts at 0 J with its first power reading; a gap longer than
    :data:`MAX_GAP_S` (the sampler stalled) is not integrated.
    """

    def __init__(self) -> None:
        self._last: dict[object, tuple[float, float]] = {}  # key -> (time, watts)
        self._joules: dict[object, float] = {}

    def add(self, key: object, now: float, watts: float | None) -> float | None:
        """Add a power reading (``now`` in monotonic seconds); the energy so far, or None."""
        if watts is None:
            return self._joules.get(key)
        last = self._last.get(key)
        total = self._joules.get(key, 0.0)
        if last is not None:
            dt = now - last[0]
            if 0 < dt <= MAX_GAP_S:
                total += (last[1] + watts) / 2.0 * dt
        self._last[key] = (now, watts)
        self._joules[key] = total
        return total


def gpu_energy(
    integrator: EnergyIntegrator,
    key: object,
    now: float,
    watts: float | None,
    counter_j: float | None,
) -> tuple[float | None, str | None]:
    """(energy J, source) of one GPU reading: the counter when given, else the integral."""
    if counter_j is not None:
        return counter_j, ENERGY_COUNTER
    joules = integrator.add(key, now, watts)
    return joules, ENERGY_INTEGRATED if joules is not None else None
