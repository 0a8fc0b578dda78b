"""Which CPUs are the fast ones, read from Linux sysfs (for ``cores="big"`` on big.LITTLE boards).

An RK3588 has four Cortex-A55 (cpu0-3) and four Cortex-A76 (cpu4-7). The kernel publishes each
CPU's relative speed as ``cpuN/cpu_capacity`` (1024 for the fastest; set from the device tree's
capacity-dmips-mhz scaled by clock) and, with cpufreq, its top clock as
``cpuN/cpufreq/cpuinfo_max_freq``. We take the first of the two that every online CPU has and
split the CPUs at the widest relative gap between distinct values: a board whose two A76 pairs
are binned at slightly different clocks still counts all four as big, while a gap under 15 %
(x86 turbo-favoured cores, equal cores) means there is no little cluster and every CPU is big.

The sysfs root is a parameter so tests can build fake trees.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Tuple, Union

__all__ = ["SYSFS_CPU", "CpuTopology", "cpu_topology", "parse_cpulist", "format_cpulist"]

SYSFS_CPU = Path("/sys/devices/system/cpu")

# Relative step between two speed groups below which they count as one (see the docstring).
_MIN_GROUP_GAP = 1.15


@dataclass(frozen=True)
class CpuTopology:
    """Online CPUs (Linux numbering, from 0), the fast group among them, and what told us."""

    cpus: Tuple[int, ...]
    big: Tuple[int, ...]
    source: str  # "cpu_capacity", "cpuinfo_max_freq", "uniform" or "unknown"


def parse_cpulist(text: str) -> Set[int]:
    """A Linux CPU list (``"0-3,6"``, as in sysfs ``online`` and ``taskset -c``) as a set.

    Raises ValueError for anything else.
    """
    cpus: Set[int] = set()
    for part in text.strip().split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m:
            raise ValueError(f"not a CPU list: {text!r}")
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        if last < first:
            raise ValueError(f"not a CPU list: {text!r} ({first}-{last} runs backwards)")
        cpus.update(range(first, last + 1))
    return cpus


def format_cpulist(cpus: Iterable[int]) -> str:
    """The Linux form of a CPU set: ``{0, 1, 2, 5}`` -> ``"0-2,5"``."""
    ordered = sorted(set(cpus))
    runs: List[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        runs.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(runs)


def _read_int(path: Path) -> Optional[int]:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _online_cpus(root: Path) -> List[int]:
    listed = sorted(int(m.group(1)) for p in root.glob("cpu*")
                    if (m := re.fullmatch(r"cpu(\d+)", p.name)) and p.is_dir())
    try:
        online = parse_cpulist((root / "online").read_text())
    except (OSError, ValueError):
        return listed  # no "online" file: every listed CPU counts
    return [cpu for cpu in listed if cpu in online] or sorted(online)


def _fastest_group(speed: Dict[int, int]) -> Tuple[int, ...]:
    levels = sorted(set(speed.values()))
    gaps = [(levels[i + 1] / levels[i], levels[i + 1]) for i in range(len(levels) - 1)]
    widest = max(gaps, default=(1.0, levels[0]))
    floor = widest[1] if widest[0] >= _MIN_GROUP_GAP else levels[0]
    return tuple(cpu for cpu in sorted(speed) if speed[cpu] >= floor)


def cpu_topology(sysfs_root: Union[str, Path, None] = None) -> CpuTopology:
    """Read the online CPUs and the big ones under ``sysfs_root`` (default ``SYSFS_CPU``).

    With no readable CPU tree (not Linux, a locked-down container) every CPU ``os.cpu_count()``
    reports counts as big and ``source`` is ``"unknown"``.
    """
    root = Path(sysfs_root) if sysfs_root is not None else SYSFS_CPU
    cpus = _online_cpus(root) if root.is_dir() else []
    if not cpus:
        every = tuple(range(os.cpu_count() or 1))
        return CpuTopology(every, every, "unknown")
    for source, relative in (("cpu_capacity", "cpu_capacity"),
                             ("cpuinfo_max_freq", "cpufreq/cpuinfo_max_freq")):
        speed = {cpu: _read_int(root / f"cpu{cpu}" / relative) for cpu in cpus}
        if all(v is not None and v > 0 for v in speed.values()):
            big = _fastest_group(speed)  # type: ignore[arg-type]
            return CpuTopology(tuple(cpus), big, source if len(big) < len(cpus) else "uniform")
    return CpuTopology(tuple(cpus), tuple(cpus), "uniform")
