"""The report folder every run writes: metrics as CSV and JSON, plus PNG plots.

Layout (``--out DIR``)::

    history.csv / history.json   one row per epoch: train loss, val loss, val metrics, lr, skipped
                                 (columns in a fixed order, the same after --resume)
    steps.csv                    one row per optimiser step: step, epoch, train loss (rank 0's share of the batch)
    summary.json                 preset, command line, best epoch and metrics, skipped images
    predictions.csv              image, true score, predicted score (best or evaluated model)
    loss.png, correlation.png    train loss per step, val loss and SRCC/PLCC at each epoch's end (by step);
                                 titled with the run's name (the --out folder)
    scatter.png                  predicted vs true scores

matplotlib runs on the Agg backend (no display on servers).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: history.csv's first and last columns; the metrics in between are sorted by name.
LEADING_COLUMNS = ("epoch", "step", "lr", "train_loss", "val_loss")
TRAILING_COLUMNS = ("train_skipped_at_decode", "val_skipped_at_decode", "seconds")


class RunReport:
    def __init__(self, directory: Path, title: str = "") -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.title = title or self.directory.name

    def write_history(self, history: Sequence[dict[str, Any]], steps: Sequence[dict[str, Any]] = ()) -> None:
        write_rows(self.directory / "history.csv", history, columns=history_columns(history))
        write_json(self.directory / "history.json", list(history))
        if steps:
            write_rows(self.directory / "steps.csv", steps)
        self.plot_history(history, steps)

    def read_history(self) -> list[dict[str, Any]]:
        path = self.directory / "history.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []

    def read_steps(self) -> list[dict[str, Any]]:
        path = self.directory / "steps.csv"
        if not path.is_file():
            return []
        with open(path, newline="", encoding="utf-8") as handle:
            return [{"step": int(r["step"]), "epoch": int(r["epoch"]), "train_loss": float(r["train_loss"])}
                    for r in csv.DictReader(handle)]

    def write_summary(self, summary: dict[str, Any]) -> Path:
        return write_json(self.directory / "summary.json", summary)

    def write_predictions(self, names: Sequence[str], true: np.ndarray, predicted: np.ndarray, title: str) -> None:
        rows = [{"image": n, "true": float(t), "predicted": float(p)} for n, t, p in zip(names, true, predicted)]
        write_rows(self.directory / "predictions.csv", rows)
        self.plot_scatter(true, predicted, title)

    def plot_history(self, history: Sequence[dict[str, Any]], steps: Sequence[dict[str, Any]] = ()) -> None:
        if not history:
            return
        plt = _pyplot()
        ends = [row["step"] for row in history]
        for filename, keys, ylabel in (
            ("loss.png", ("val_loss",), "loss"),
            ("correlation.png", ("val_srcc", "val_plcc", "val_pair_accuracy"), "value"),
        ):
            figure, axis = plt.subplots(figsize=(7, 4))
            if filename == "loss.png" and steps:
                axis.plot([r["step"] for r in steps], [r["train_loss"] for r in steps], linewidth=1,
                          marker="." if len(steps) < 200 else None, label="train_loss (per step)")
            for key in keys:
                values = [row.get(key) for row in history]
                if any(v is not None for v in values):
                    axis.plot(ends, [np.nan if v is None else v for v in values], marker="o",
                              label=f"{key} (end of epoch)")
            axis.set_xlabel("step")
            axis.xaxis.get_major_locator().set_params(integer=True)
            axis.set_ylabel(ylabel)
            axis.set_title(self.title)
            axis.legend()
            axis.grid(alpha=0.3)
            figure.tight_layout()
            figure.savefig(self.directory / filename, dpi=100)
            plt.close(figure)

    def plot_scatter(self, true: np.ndarray, predicted: np.ndarray, title: str) -> None:
        plt = _pyplot()
        figure, axis = plt.subplots(figsize=(5, 5))
        axis.scatter(true, predicted, s=4, alpha=0.4)
        low = float(min(np.min(true), np.min(predicted))) if len(true) else 0.0
        high = float(max(np.max(true), np.max(predicted))) if len(true) else 1.0
        axis.plot([low, high], [low, high], color="grey", linewidth=1)
        axis.set_xlabel("true score")
        axis.set_ylabel("predicted score")
        axis.set_title(title)
        figure.tight_layout()
        figure.savefig(self.directory / "scatter.png", dpi=100)
        plt.close(figure)


def history_columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    """A fixed order that does not depend on the rows' key order (history.json is read back sorted)."""
    keys = {k for row in rows for k in row}
    lead = [k for k in LEADING_COLUMNS if k in keys]
    tail = [k for k in TRAILING_COLUMNS if k in keys]
    return lead + sorted(keys - set(lead) - set(tail)) + tail


def write_rows(path: Path, rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> Path:
    """CSV with the union of keys as header (``columns``, else in first-seen order)."""
    if columns is None:
        columns = []
        for row in rows:
            columns.extend(k for k in row if k not in columns)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
