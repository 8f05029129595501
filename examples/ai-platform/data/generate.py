#!/usr/bin/env python3
"""Sample source data for examples/ai-platform/ai-platform.cutover.

Deterministic (seeded), standard library only. Writes one CSV per source
table (legacy.* and idm.user_id_map) into:

  data/         the main sample: every blocking gate passes; a few messy
                rows are handled by rules, rejects and warn checks
  data-broken/  unknown status codes beyond the 1% rollback trigger

CSV convention: RFC 4180 quoting, UTF-8, LF line ends. An EMPTY UNQUOTED
field is NULL; a quoted empty field "" is the empty string. Timestamps are
legacy DATETIME values in America/New_York local time.

    python3 examples/ai-platform/data/generate.py
"""

import copy
import datetime as dt
import json
import random
import uuid
from decimal import Decimal
from pathlib import Path

SEED = 20240315
ROOT = Path(__file__).resolve().parent.parent


def cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    s = str(v)
    if s == "" or any(c in s for c in ',"\r\n') or s != s.strip():
        return '"' + s.replace('"', '""') + '"'
    return s


def write_csv(directory, name, columns, rows):
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
        f.write(",".join(columns) + "\n")
        for r in rows:
            f.write(",".join(cell(r[c]) for c in columns) + "\n")


def ts(rng, a=dt.datetime(2021, 1, 4), b=dt.datetime(2024, 10, 31)):
    t = a + dt.timedelta(seconds=rng.randint(0, int((b - a).total_seconds())))
    return t.replace(microsecond=0)


def fmt(t):
    return None if t is None else t.strftime("%Y-%m-%d %H:%M:%S")


# ───────────────────────────── IdM ────────────────────────────────────

MAP_COLS = ["legacy_user_id", "user_uuid"]


def user_id_map(rng):
    rows = [{"legacy_user_id": 42, "user_uuid": "6f1c2a9e-3b4d-4c5e-8f70-1a2b3c4d5e6f"}]
    for uid in range(100, 179):
        rows.append({"legacy_user_id": uid, "user_uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4))})
    return rows


# ───────────────────────────── datasets ───────────────────────────────

DATASET_COLS = ["dataset_id", "name", "description", "storage_path", "file_format", "row_count", "size_bytes",
                "steward_email", "created_ts", "last_mod_ts"]
TOPICS = ["Customer churn", "Card fraud", "Product images", "Support tickets", "Clickstream", "Credit risk",
          "Demand forecast", "Sensor telemetry", "Call transcripts", "Loan applications", "Retail baskets",
          "Medical imaging (de-identified)"]
STEWARDS = ["data.steward@example.com", "mlops@example.com", "Ana.Lima@example.com", "j.okafor@example.com",
            "zoe.fischer@example.de"]


def datasets(rng):
    rows = []
    for did in range(1, 61):
        topic = TOPICS[did % len(TOPICS)]
        year = 2019 + did % 5
        fmt_ = rng.choice(["parquet", "csv", "tfrecord", "jsonl"])
        created = ts(rng, dt.datetime(2020, 1, 1), dt.datetime(2023, 12, 31))
        rows.append({
            "dataset_id": did,
            "name": f"{topic} {year}" + rng.choice(["", "", " ", "  v2"]),
            "description": rng.choice([None, f"{topic} snapshot, {rng.choice(['monthly', 'weekly', 'daily'])} grain",
                                       f"Curated {topic.lower()} data; PII removed"]),
            "storage_path": f"/legacy/storage/datasets/{topic.lower().split()[0]}_{year}_{did}.{fmt_}",
            "file_format": rng.choice([fmt_, fmt_.upper(), " " + fmt_.title(), None]),
            "row_count": rng.randint(10_000, 50_000_000) if rng.random() > 0.1 else None,
            "size_bytes": rng.randint(10**6, 5 * 10**11) if rng.random() > 0.1 else None,
            "steward_email": rng.choice(STEWARDS + [None]),
            "created_ts": fmt(created),
            "last_mod_ts": fmt(created + dt.timedelta(days=rng.randint(0, 400), minutes=rng.randint(0, 1440)))
                           if rng.random() > 0.2 else None,
        })
    rows[2].update(name="Customer churn 2023 ", description="Monthly churn snapshot",
                   storage_path="/legacy/storage/datasets/churn_2023.parquet", file_format="Parquet",
                   row_count=1250000, size_bytes=734003200, steward_email="data.steward@example.com",
                   created_ts="2023-06-01 08:15:00", last_mod_ts="2023-11-20 16:45:00")
    return rows


# ───────────────────────────── models ─────────────────────────────────

MODEL_COLS = ["model_id", "model_name", "algo_type", "version", "owner_id", "owner_email", "created_ts",
              "last_mod_ts", "status", "accuracy_score", "dataset_id", "model_path", "notes"]
ALGOS = ["RF", "rf", " RF ", "Random Forest", "RandomForest", "random_forest", "Random Forrest", "GBM", "gbm ",
         "Gradient Boosting", "GBT", "XGB", "xgboost", "XGBoost", "XG-Boost", "xgbost", "CNN", "cnn", "ConvNet",
         "LR", "LogReg", "logistic regression", "LSTM", "SVM", "BERT", "Transformer", "kNN", "Prophet", "", None]
USE_CASES = ["churn", "fraud", "ltv", "image_tagger", "ticket_router", "risk_score", "demand", "anomaly",
             "sentiment", "recsys", "ocr", "pricing"]
STATUS = ["D", "P", "R", "A", "d", "a", " R", "Draft", "ACTIVE", "Ready", "pending"]
NOTES = [None, None, "Baseline model", "Retrained on Q3 data", "  Champion model for EMEA  ",
         "Uses features v2, see ticket ML-1042", 'Tagged "do not delete" by compliance',
         "Modèle de détection de fraude — version française", "Trained on 北京 region data only",
         "Known issue: drifts after promotions,\nretrain monthly", ""]
OWNER_EMAILS = ["priya.raman@example.com", "li.wei@example.com", "j.okafor@example.com", "sofia.rossi@example.com"]

REJECTED_MODELS = {150: "X", 250: "RETIRED"}       # unknown status → rejected; they have no children


def models(rng):
    rows = []
    for mid in range(1, 301):
        use = USE_CASES[mid % len(USE_CASES)]
        ver = rng.randint(1, 4)
        created = ts(rng)
        score = round(rng.uniform(0.55, 0.99), 4) if rng.random() > 0.1 else None
        rows.append({
            "model_id": mid,
            "model_name": f"{use}_{rng.choice(['baseline', 'model', 'v' + str(ver), 'exp', 'prod'])}_{mid}",
            "algo_type": rng.choice(ALGOS),
            "version": rng.choice([f"v{ver}", f"V{ver}", f" v{ver} ", "", None]),
            "owner_id": rng.choice([rng.randint(100, 178)] * 18 + [999, None]),
            "owner_email": rng.choice(OWNER_EMAILS),
            "created_ts": fmt(created),
            "last_mod_ts": fmt(created + dt.timedelta(days=rng.randint(0, 300), hours=rng.randint(0, 23)))
                           if rng.random() > 0.15 else None,
            "status": rng.choice(STATUS),
            "accuracy_score": score,
            "dataset_id": rng.randint(1, 60) if rng.random() > 0.08 else None,
            "model_path": f"/legacy/storage/models/v{ver}/{use}_model_{mid}.pkl" if rng.random() > 0.07 else None,
            "notes": rng.choice(NOTES),
        })
    m = {r["model_id"]: r for r in rows}
    m[7].update(model_name="  churn  model ", algo_type=" rf", version="V1", owner_id=42,
                owner_email="priya.raman@example.com", status="D", accuracy_score=0.8731, dataset_id=3,
                model_path="/legacy/storage/models/v1/churn_model.pkl", notes="Baseline churn model",
                created_ts="2024-03-01 09:00:00", last_mod_ts="2024-07-15 17:30:00")
    # TRN-005: percentage-scale scores and the -1 "not evaluated" sentinel
    m[11]["accuracy_score"] = 87.5
    m[12]["accuracy_score"] = 91.25
    m[13]["accuracy_score"] = 76.0
    m[14]["accuracy_score"] = -1.0
    m[15]["accuracy_score"] = -1.0
    m[16]["accuracy_score"] = 1.0
    m[17]["accuracy_score"] = 0.0
    # TRN-006: paths outside the standard layout, padded paths
    m[21]["model_path"] = "/legacy/storage/models/model_C.pkl"
    m[22]["model_path"] = " /legacy/storage/models/v3/fraud_gbm.pkl "
    m[23]["model_path"] = "/legacy/storage/models/v1/model_A.pkl"
    m[24]["model_path"] = "/legacy/storage/models/v2/tmp/ocr_model_24.pkl"   # extra level
    # TRN-002: owners not in the IdM mapping
    m[31]["owner_id"] = 999
    m[32]["owner_id"] = 4242
    m[33]["owner_id"] = None
    # TRN-007: daylight-saving edges in New York local time
    m[41].update(created_ts="2023-12-31 23:30:00")                            # → 2024-01-01T04:30:00Z
    m[42].update(created_ts="2023-11-05 01:30:00")                            # ambiguous: occurs twice
    m[43].update(created_ts="2024-03-09 12:00:00", last_mod_ts="2024-03-11 12:00:00")  # either side of the switch
    # TRN-004: unknown status codes (rejected)
    for mid, code in REJECTED_MODELS.items():
        m[mid]["status"] = code
    # TRN-003: whitespace runs inside names
    m[51]["algo_type"] = "Random  Forest"
    m[52]["algo_type"] = "\tXGBoost"
    m[53]["algo_type"] = "Gradiant Boosting"
    return rows


# ───────────────────────────── training runs ──────────────────────────

RUN_COLS = ["run_id", "model_id", "dataset_id", "started_ts", "ended_ts", "status", "epochs", "hyperparams",
            "gpu_hours", "cluster", "log_path"]
RUN_STATUS = ["completed", "completed", "Completed ", "done", "success", "FAILED", "error", "running", "killed",
              "canceled", "cancelled", "queued", None]

ORPHAN_RUNS = {5100: 40404, 5200: 9999, 5300: 777}
BAD_JSON_RUNS = {5123: "{lr: 0.01, depth: 8", 5124: "{'max_depth': 6}"}
DST_GAP_RUNS = {5125: "2024-03-10 02:15:00"}     # 02:00-02:59 does not exist in New York that night


def training_runs(rng, model_ids):
    rows = []
    for rid in range(5001, 5401):
        start = ts(rng)
        status = rng.choice(RUN_STATUS)
        hours = (Decimal(rng.randint(5, 4000)) / 100).quantize(Decimal("0.01"))
        params = {"learning_rate": rng.choice([0.1, 0.05, 0.01, 0.001]), "max_depth": rng.randint(3, 12),
                  "n_estimators": rng.choice([100, 200, 400, 800])}
        rows.append({
            "run_id": rid,
            "model_id": rng.choice(model_ids),
            "dataset_id": rng.randint(1, 60) if rng.random() > 0.1 else None,
            "started_ts": fmt(start),
            "ended_ts": None if status in ("running", "queued") else fmt(start + dt.timedelta(minutes=rng.randint(3, 2880))),
            "status": status,
            "epochs": rng.choice([None, 10, 20, 30, 50, 100]),
            "hyperparams": json.dumps(params) if rng.random() > 0.1 else None,
            "gpu_hours": hours,
            "cluster": rng.choice(["gpu-a100-01", " GPU-A100-01", "gpu-v100-02", "cpu-batch", "", None]),
            "log_path": f"/legacy/storage/logs/run_{rid}.log",
        })
    r = {x["run_id"]: x for x in rows}
    r[5001].update(model_id=7, dataset_id=3, started_ts="2024-02-05 22:10:00", ended_ts="2024-02-06 01:40:00",
                   status="Completed ", epochs=30, hyperparams='{"max_depth": 8, "n_estimators": 400}',
                   gpu_hours=Decimal("3.50"), cluster=" GPU-A100-01", log_path="/legacy/storage/logs/run_5001.log")
    for rid, mid in ORPHAN_RUNS.items():                 # model deleted long ago
        r[rid]["model_id"] = mid
    for rid, text in BAD_JSON_RUNS.items():              # not JSON
        r[rid]["hyperparams"] = text
    for rid, start in DST_GAP_RUNS.items():              # rejected by TRN-007
        r[rid].update(started_ts=start, ended_ts="2024-03-10 05:40:00", status="completed")
    return rows


# ───────────────────────────── experiments ────────────────────────────

EXP_COLS = ["experiment_id", "model_id", "run_id", "title", "hypothesis", "outcome", "created_by", "created_ts"]


def experiments(rng, model_ids, good_runs):
    rows = []
    for eid in range(801, 1001):
        rows.append({
            "experiment_id": eid,
            "model_id": rng.choice(model_ids) if rng.random() > 0.1 else None,
            "run_id": rng.choice(good_runs) if rng.random() > 0.2 else None,
            "title": rng.choice(["Depth  sweep", "Learning-rate sweep", "Feature ablation: recency",
                                 "Class weights", "Augmentation  study", "Calibration check"]) + f" #{eid}",
            "hypothesis": rng.choice([None, "", " Deeper trees overfit ", "Recency features help cold users",
                                      "Label noise above 5% hurts recall"]),
            "outcome": rng.choice([None, "", "Confirmed", "Rejected, no significant lift", "Inconclusive; rerun"]),
            "created_by": rng.choice([rng.randint(100, 178)] * 6 + [999, None]),
            "created_ts": fmt(ts(rng)),
        })
    rows[0].update(model_id=7, run_id=5001, title="Depth  sweep", hypothesis=" Deeper trees overfit ", outcome="",
                   created_by=42, created_ts="2024-02-07 11:00:00")
    return rows


# ───────────────────────────── metrics ────────────────────────────────

METRIC_COLS = ["metric_id", "model_id", "run_id", "metric_name", "metric_value", "data_split", "recorded_ts"]


def metrics(rng, model_ids, good_runs):
    rows = []
    for k in range(500):
        name = rng.choice(["accuracy", "f1", " F1 ", "AUC", "auc", "precision", "recall", "logloss", "rmse"])
        val = round(rng.uniform(0.05, 0.99), 4) if name.strip().lower() != "rmse" else round(rng.uniform(1, 250), 3)
        rows.append({
            "metric_id": 900001 + k,
            "model_id": rng.choice(model_ids),
            "run_id": rng.choice(good_runs) if rng.random() > 0.25 else None,
            "metric_name": name,
            "metric_value": val,
            "data_split": rng.choice(["train", "val", "valid", "validation", "test", "holdout", "TEST ", None]),
            "recorded_ts": fmt(ts(rng)),
        })
    rows[0].update(model_id=7, run_id=5001, metric_name=" F1 ", metric_value=0.81, data_split="val",
                   recorded_ts="2024-02-06 02:00:00")
    rows[1].update(model_id=7, run_id=None, metric_name="auc", metric_value=0.9, data_split=None,
                   recorded_ts="2024-08-01 12:00:00")
    rows[100]["metric_value"] = None          # rejected: metric value missing
    rows[200]["metric_value"] = None          # rejected: metric value missing
    rows[300]["data_split"] = "oob"           # rejected: unknown split label
    return rows


# ───────────────────────────── run_archive (dropped) ──────────────────

ARCHIVE_COLS = ["archive_id", "run_id", "archived_ts", "payload"]


def run_archive(rng):
    rows = []
    for k in range(50):
        rid = rng.randint(1000, 4999)
        rows.append({"archive_id": 70001 + k, "run_id": rid, "archived_ts": fmt(ts(rng, dt.datetime(2019, 1, 1), dt.datetime(2020, 12, 31))),
                     "payload": json.dumps({"run": rid, "loss_curve": [round(rng.uniform(0.1, 2), 3) for _ in range(5)]})})
    return rows


COLUMNS = {"datasets": DATASET_COLS, "models": MODEL_COLS, "training_runs": RUN_COLS, "experiments": EXP_COLS,
           "metrics": METRIC_COLS, "run_archive": ARCHIVE_COLS, "user_id_map": MAP_COLS}


def main_set():
    rng = random.Random(SEED)
    idm = user_id_map(rng)
    ds = datasets(rng)
    ms = models(rng)
    loadable = [m["model_id"] for m in ms if m["model_id"] not in REJECTED_MODELS]
    runs = training_runs(rng, loadable)
    rejected_runs = set(ORPHAN_RUNS) | set(BAD_JSON_RUNS) | set(DST_GAP_RUNS)
    good_runs = [r["run_id"] for r in runs if r["run_id"] not in rejected_runs]
    return {
        "datasets": ds, "models": ms, "training_runs": runs,
        "experiments": experiments(rng, loadable, good_runs),
        "metrics": metrics(rng, loadable, good_runs),
        "run_archive": run_archive(rng), "user_id_map": idm,
    }


def broken_set(base):
    """Unknown status codes on 12 of 300 models (4%): over the 1% trigger."""
    rng = random.Random(SEED + 1)
    t = copy.deepcopy(base)
    for m in rng.sample([m for m in t["models"] if m["model_id"] > 60], 12):
        m["status"] = rng.choice(["X", "RETIRED", "ARCH", "?", "deprecated", "Z"])
    return t


def write_set(dirname, tables):
    for name, rows in tables.items():
        write_csv(ROOT / dirname, name, COLUMNS[name], rows)
        print(f"{dirname}/{name}.csv: {len(rows)} rows")


if __name__ == "__main__":
    base = main_set()
    write_set("data", base)
    write_set("data-broken", broken_set(base))
