"""A grid search on a Ray cluster: the grid's combinations run as Ray tasks that call the
Rust grid runner, and the driver stores their rows in grid.db (the same rows as
``auction-trader grid run``). See docs/python.md for the design on N machines.

The driver (this process) plans the grid, imports what the base config lists into its data
directory, records the grid in grid.db and learns which combinations are left (a grid that
was stopped resumes). It splits them into parts; each part is one Ray task that opens the
base config's data directory (a shared Parquet directory every node mounts at the same
path), decodes the data once and runs its combinations one after another. Rows come back to
the driver, which commits each part's rows as it arrives: grid.db is written by one process
only. A task lost with its node is run again by Ray (``max_retries``); a lost driver is
resumed by calling this again with the same base, sweep and grid.db.

    ray start --head                     # or: ray.init() in the driver
    python -c "from auction_trader.ray_grid import run_grid_on_ray; print(run_grid_on_ray(
        'configs/nautilus-sma.yaml', 'configs/sweeps/sma-vectorbt.yaml', 'grid.db'))"
"""

from __future__ import annotations

import os
import time
from typing import Optional, Union

from . import _native, config_text


def _run_part(base_text: str, sweep_text: str, indices: list, force_priors: bool) -> list:
    """One Ray task: the rows of the combinations ``indices``."""
    return _native.run_grid_part(base_text, sweep_text, indices, force_priors)


def _parts(remaining: list, count: int) -> list:
    """``remaining`` cut into ``count`` contiguous parts of near-equal size (contiguous keeps
    combinations that share a feature configuration together)."""
    count = max(1, min(count, len(remaining)))
    size, extra = divmod(len(remaining), count)
    parts, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        parts.append(remaining[start:end])
        start = end
    return parts


def run_grid_on_ray(
    base,
    sweep,
    db_path: Union[str, os.PathLike] = "grid.db",
    workers: Optional[int] = None,
    parts_per_worker: int = 4,
    force_priors: bool = False,
    address: Optional[str] = "auto",
    max_retries: int = 3,
) -> dict:
    """Runs (or resumes) a grid on Ray. ``workers``: most tasks in flight at once (default:
    the cluster's CPUs); each task takes one CPU. Returns the grid id, the counts and the
    wall time of the Ray phase."""
    import ray

    base_text, sweep_text = config_text(base), config_text(sweep)
    db_path = os.fspath(db_path)
    start = _native.start_grid(base_text, sweep_text, db_path, force_priors)
    summary = {
        "grid_id": start["grid_id"],
        "combinations": start["combinations"],
        "already_finished": start["combinations"] - len(start["remaining"]),
        "ran": 0,
        "parts": 0,
        "workers": 0,
        "seconds": 0.0,
    }
    remaining = start["remaining"]
    if not remaining:
        return summary
    if not ray.is_initialized():
        ray.init(address=address, log_to_driver=False)
    cpus = int(ray.cluster_resources().get("CPU", 1))
    workers = max(1, workers or cpus)
    parts = _parts(remaining, workers * max(1, parts_per_worker))
    task = ray.remote(num_cpus=1, max_retries=max_retries)(_run_part)
    began = time.perf_counter()
    pending, queued = [], list(parts)
    while queued or pending:
        while queued and len(pending) < workers:
            pending.append(task.remote(base_text, sweep_text, queued.pop(0), force_priors))
        done, pending = ray.wait(pending, num_returns=1)
        rows = ray.get(done[0])
        _native.insert_grid_rows(db_path, start["grid_id"], rows)
        summary["ran"] += len(rows)
    summary.update(parts=len(parts), workers=workers, seconds=time.perf_counter() - began)
    return summary
