"""The distributed grid on a running local Ray cluster against the local grid, on real data:
a sma_cross grid of 120 combinations over the BTC-PERP month (configs/nautilus-sma.yaml)
read from one shared Parquet directory. ``auction-trader grid run`` makes the local rows;
the Ray runner with 1 and then 2 workers must store the same rows (run id, sequence,
parameters, metrics, effective config). Prints each wall time (the scaling figure).

Environment: AT_CLI, AT_REPO, AT_SHARED_DATA, AT_WORK as test_wheel.py; the cluster is
started and stopped by scripts/test-python.sh. For the benchmarks (docs/benchmarks.md):
AT_SWEEP overrides the sweep file (e.g. configs/sweeps/sma-vectorbt.yaml, 4,676
combinations), AT_BASE the base config in configs/ (e.g. bitflyer-auction.yaml with
configs/sweeps/auction-bitflyer.yaml), AT_PARTS_PER_WORKER the parts per worker (4).

With AT_PG_URL (a PostgreSQL server the script started): the same grid once more on Ray
with 2 workers, the ticks read from that PostgreSQL store (``storage.url``, imported by the
driver) and the rows written to its grid tables; run ids, sequence, parameters and metrics
must equal the local grid's (the effective configs differ by their ``storage`` section).
"""

import os
import subprocess
import time
from pathlib import Path

import ray

import auction_trader as at
from auction_trader.ray_grid import run_grid_on_ray

CLI = os.environ["AT_CLI"]
REPO = Path(os.environ["AT_REPO"])
SHARED = Path(os.environ["AT_SHARED_DATA"])
WORK = Path(os.environ["AT_WORK"]) / "ray"
STORE = WORK / "shared-store"  # the shared Parquet directory every worker reads

SWEEP = """\
parameters:
  strategy.sma_cross.fast: {range: {start: 5, end: 24, step: 1}}
  strategy.sma_cross.slow: {values: [30, 40, 50, 60, 80, 100]}
constraints:
  - strategy.sma_cross.fast < strategy.sma_cross.slow
"""


def rows(db):
    result = at.grid_rows(db)
    return result.grid_id, result.rows[["run_id", "seq", "params", "metrics", "config"]]


def main():
    WORK.mkdir(parents=True, exist_ok=True)
    base = (REPO / "configs" / os.environ.get("AT_BASE", "nautilus-sma.yaml")).read_text()
    parts_per_worker = int(os.environ.get("AT_PARTS_PER_WORKER", "4"))
    base = base.replace("../shared/data", str(SHARED)).replace("  dir: data\n", f"  dir: {STORE}\n", 1)
    (WORK / "base.yaml").write_text(base)
    sweep_file = Path(os.environ.get("AT_SWEEP") or WORK / "sweep.yaml")
    if "AT_SWEEP" not in os.environ:
        sweep_file.write_text(SWEEP)

    began = time.perf_counter()
    subprocess.run(
        [CLI, "grid", "run", "-c", WORK / "base.yaml", "--sweep", sweep_file,
         "--db", WORK / "local.db", "--workers", "2"],
        check=True, stdout=subprocess.DEVNULL,
    )
    local_seconds = time.perf_counter() - began
    grid_id, local = rows(WORK / "local.db")
    assert len(local) >= 100, len(local)

    ray.init(address="auto", log_to_driver=False)
    cpus = int(ray.cluster_resources().get("CPU", 0))
    assert cpus >= 2, f"the Ray cluster has {cpus} CPUs; 2 are needed"
    times = {}
    for workers in (1, 2):
        db = WORK / f"ray-{workers}.db"
        summary = run_grid_on_ray(
            WORK / "base.yaml", sweep_file, db, workers=workers, parts_per_worker=parts_per_worker
        )
        assert summary["ran"] == len(local), summary
        ray_id, ray_rows = rows(db)
        assert ray_id == grid_id, (ray_id, grid_id)
        assert ray_rows.equals(local), f"rows of the Ray grid with {workers} worker(s) differ"
        times[workers] = summary["seconds"]
        # Resuming a finished grid runs nothing.
        again = run_grid_on_ray(WORK / "base.yaml", sweep_file, db, workers=workers)
        assert again["ran"] == 0 and again["already_finished"] == len(local), again
    pg_url = os.environ.get("AT_PG_URL")
    pg_line = ""
    if pg_url:
        (WORK / "base-pg.yaml").write_text(base + f"storage:\n  url: {pg_url}\n")
        summary = run_grid_on_ray(
            WORK / "base-pg.yaml", sweep_file, pg_url, workers=2, parts_per_worker=parts_per_worker
        )
        assert summary["ran"] == len(local), summary
        _, pg_rows = rows(pg_url)
        compared = ["run_id", "seq", "params", "metrics"]
        assert pg_rows[compared].equals(local[compared]), "rows of the Ray grid over PostgreSQL differ"
        assert all("storage:" in config for config in pg_rows["config"])
        pg_line = f"; over PostgreSQL (ticks and rows) 2 workers {summary['seconds']:.2f} s, same rows"
    ray.shutdown()
    print(
        f"ray grid: {len(local)} combinations, rows identical to the local grid; "
        f"local grid (CLI, 2 threads) {local_seconds:.2f} s; Ray 1 worker {times[1]:.2f} s, "
        f"2 workers {times[2]:.2f} s (speed-up {times[1] / times[2]:.2f}x){pg_line}"
    )


if __name__ == "__main__":
    main()
