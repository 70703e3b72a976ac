#!/usr/bin/env python3
"""LightGBM reads an auction-trader-model file: same predictions, same TreeSHAP; and LightGBM
trained on the same rows with the same parameters, for an AUC and timing comparison.

Writes the expected JSON the Rust test `crates/model/tests/lightgbm_crosscheck.rs` asserts
against. See README.md."""

import argparse
import json
import math
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

NANOS_PER_MINUTE = 60_000_000_000
# Every this many-th matrix row is recorded (predictions), and every CONTRIB_STEP-th of those
# with its SHAP contributions.
ROW_STEP = 97
CONTRIB_STEP = 5


def number(value):
    """JSON has no NaN: missing values are null."""
    value = float(value)
    return None if math.isnan(value) else value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--matrix", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    model_dir = Path(args.model)
    manifest = json.loads((model_dir / "manifest.json").read_text())
    booster = lgb.Booster(model_file=str(model_dir / "model.txt"))
    features = manifest["features"]
    assert booster.feature_name() == features, "LightGBM read other feature names"

    matrix = pd.read_parquet(args.matrix)
    ts = matrix["ts"].astype("int64").to_numpy()
    x = matrix[features].to_numpy(dtype=float)
    raw = booster.predict(x, raw_score=True)
    probability = booster.predict(x)

    sample = list(range(0, len(ts), ROW_STEP))
    contrib_rows = sample[::CONTRIB_STEP]
    contributions = booster.predict(x[contrib_rows], pred_contrib=True)

    label = manifest["label"]
    horizon = label["horizon_minutes"]
    cost = label["cost"]
    forward = matrix[f"fwd_ret_{horizon}m"].to_numpy(dtype=float)
    labelled = ~np.isnan(forward) & (np.abs(forward) > cost)
    y = (forward > cost).astype(float)
    last_ts = manifest["data"]["last_ts"]
    label_end = manifest["data"]["label_end_ts"]
    train_rows = np.where(labelled & (ts <= last_ts))[0]
    test_rows = np.where(labelled & (ts > label_end))[0]
    assert len(train_rows) == manifest["data"]["training_rows"], "other training rows"

    # Our model, scored by scikit-learn on the out-of-sample rows.
    auc_ours = roc_auc_score(y[test_rows], probability[test_rows])

    # LightGBM on the same rows, same hold-out scheme (the latest share for early stopping,
    # training rows whose label reaches into it purged), same parameters.
    share = manifest["validation_share"]
    cut = int(round((1.0 - share) * len(train_rows)))
    holdout_start = ts[train_rows[cut]]
    fit_rows = train_rows[:cut][ts[train_rows[:cut]] + horizon * NANOS_PER_MINUTE < holdout_start]
    valid_rows = train_rows[cut:]
    p = manifest["params"]
    params = {
        "objective": "binary",
        "learning_rate": p["learning_rate"],
        "num_leaves": p["num_leaves"],
        "max_depth": p["max_depth"],
        "min_data_in_leaf": p["min_data_in_leaf"],
        "min_sum_hessian_in_leaf": p["min_sum_hessian_in_leaf"],
        "lambda_l1": p["lambda_l1"],
        "lambda_l2": p["lambda_l2"],
        "min_gain_to_split": p["min_gain_to_split"],
        "feature_fraction": p["feature_fraction"],
        "bagging_fraction": p["bagging_fraction"],
        "bagging_freq": p["bagging_freq"],
        "max_bin": p["max_bin"],
        "seed": p["seed"] % (2**31),
        "deterministic": True,
        "num_threads": 1,
        "verbose": -1,
    }
    callbacks = []
    if p["early_stopping_rounds"] > 0:
        callbacks.append(lgb.early_stopping(p["early_stopping_rounds"], verbose=False))
    train_set = lgb.Dataset(x[fit_rows], y[fit_rows], feature_name=features)
    valid_set = lgb.Dataset(x[valid_rows], y[valid_rows], reference=train_set)
    started = time.perf_counter()
    trained = lgb.train(
        params,
        train_set,
        num_boost_round=p["num_iterations"],
        valid_sets=[valid_set],
        callbacks=callbacks,
    )
    seconds = time.perf_counter() - started
    best = trained.best_iteration if trained.best_iteration > 0 else trained.num_trees()
    auc_lightgbm = roc_auc_score(y[test_rows], trained.predict(x[test_rows], num_iteration=best))

    result = {
        "lightgbm_version": lgb.__version__,
        "model_sha256": manifest["model_sha256"],
        "matrix_sha256": manifest["data"]["matrix_sha256"],
        "features": features,
        "label": label,
        "params": p,
        "validation_share": share,
        "last_ts": last_ts,
        "label_end_ts": label_end,
        "trees": booster.num_trees(),
        "rows": [
            {
                "ts": int(ts[row]),
                "features": [number(v) for v in x[row]],
                "raw_score": float(raw[row]),
                "probability": float(probability[row]),
            }
            for row in sample
        ],
        "contributions": [
            {"ts": int(ts[row]), "values": [float(v) for v in values]}
            for row, values in zip(contrib_rows, contributions)
        ],
        "test_rows": int(len(test_rows)),
        "auc_ours_sklearn": float(auc_ours),
        "auc_lightgbm": float(auc_lightgbm),
        "lightgbm_train_seconds": round(seconds, 3),
        "lightgbm_trees": int(best),
    }
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(
        f"LightGBM {lgb.__version__} read {booster.num_trees()} trees; "
        f"{len(sample)} rows predicted, {len(contrib_rows)} explained; out-of-sample AUC "
        f"ours {auc_ours:.4f} vs LightGBM-trained {auc_lightgbm:.4f} "
        f"({best} trees in {seconds:.3f} s) -> {args.out}"
    )


if __name__ == "__main__":
    main()
