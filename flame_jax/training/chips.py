"""TPU generations and slice names: the HBM and bfloat16 peak of each chip, and how many chips
an accelerator type (v5p-128, v5litepod-16) holds."""

from __future__ import annotations

import dataclasses
import difflib
import re

GIB = 2**30


@dataclasses.dataclass(frozen=True)
class Chip:
    """One TPU generation: HBM and dense bfloat16 peak per chip, and what a slice name counts.

    `cores_per_chip` is what the number in an accelerator type counts per chip: v4 and v5p
    name TensorCores (2 per chip, one "megacore" jax device), v5e and v6e name chips.
    """

    name: str
    hbm_bytes: int
    peak_flops: float
    cores_per_chip: int


# Cloud TPU system-architecture pages (cloud.google.com/tpu/docs/v4, /v5e, /v5p, /v6e):
# v4 32 GiB, 275 TFLOP/s, 2 TensorCores; v5e 16 GiB, 197 TFLOP/s, 1 TensorCore; v5p 95 GiB,
# 459 TFLOP/s, 2 TensorCores (v5p-128 = 4x4x4 = 64 chips); v6e (Trillium) 32 GiB, 918 TFLOP/s,
# 1 TensorCore. The same peaks as flame_jax.training.metrics.PEAK_FLOPS_PER_CHIP.
CHIPS = {
    "v4": Chip("v4", 32 * GIB, 275e12, 2),
    "v5e": Chip("v5e", 16 * GIB, 197e12, 1),
    "v5p": Chip("v5p", 95 * GIB, 459e12, 2),
    "v6e": Chip("v6e", 32 * GIB, 918e12, 1),
}
# Accelerator-type prefixes (gcloud's names, and the generation names) -> CHIPS key.
_PREFIXES = {"v4": "v4", "v5p": "v5p", "v5litepod": "v5e", "v5e": "v5e", "v6e": "v6e"}


@dataclasses.dataclass(frozen=True)
class Topology:
    """A slice: its accelerator type (e.g. "v5p-128"), chip generation and chip count."""

    name: str
    chip: Chip
    num_chips: int


def parse_topology(name: str) -> Topology:
    """A Cloud TPU accelerator type -> its chips: v5p-128 -> 64 v5p chips, v4-8 -> 4 v4
    chips (the number counts TensorCores, 2 per chip), v5litepod-16 -> 16 v5e chips and
    v6e-256 -> 256 chips (the number counts chips)."""
    examples = "e.g. v5p-128 (64 chips), v4-8 (4 chips), v5litepod-16 (16 chips), v6e-256"
    match = re.fullmatch(r"([a-z0-9]+)-(\d+)", name.strip().lower())
    if not match or match.group(1) not in _PREFIXES:
        prefix = match.group(1) if match else name.split("-", maxsplit=1)[0].lower()
        close = difflib.get_close_matches(prefix, _PREFIXES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"unknown TPU topology {name!r}: expected GENERATION-NUMBER with GENERATION one of "
            f"{', '.join(_PREFIXES)} ({examples}).{hint}"
        )
    chip = CHIPS[_PREFIXES[match.group(1)]]
    count = int(match.group(2))
    if count < 1 or count % chip.cores_per_chip:
        counted = (
            f"TensorCores, {chip.cores_per_chip} per chip, so it must be a positive multiple of "
            f"{chip.cores_per_chip}"
            if chip.cores_per_chip > 1
            else "chips, so it must be positive"
        )
        raise ValueError(f"TPU topology {name!r}: a {chip.name} slice's number counts {counted}")
    return Topology(name, chip, count // chip.cores_per_chip)
