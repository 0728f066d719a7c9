"""The report folder every run writes: metrics as CSV and JSON, plus PNG plots.

Layout (``--out DIR``)::

    history.csv / history.json   one row per epoch: train loss, val loss, val metrics, lr, skipped
    summary.json                 preset, command line, best epoch and metrics, skipped images
    predictions.csv              image, true score, predicted score (best or evaluated model)
    loss.png, correlation.png    loss and SRCC/PLCC per epoch
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


class RunReport:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def write_history(self, history: Sequence[dict[str, Any]]) -> None:
        write_rows(self.directory / "history.csv", history)
        write_json(self.directory / "history.json", list(history))
        self.plot_history(history)

    def read_history(self) -> list[dict[str, Any]]:
        path = self.directory / "history.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []

    def write_summary(self, summary: dict[str, Any]) -> Path:
        return write_json(self.directory / "summary.json", summary)

    def write_predictions(self, names: Sequence[str], true: np.ndarray, predicted: np.ndarray, title: str) -> None:
        rows = [{"image": n, "true": float(t), "predicted": float(p)} for n, t, p in zip(names, true, predicted)]
        write_rows(self.directory / "predictions.csv", rows)
        self.plot_scatter(true, predicted, title)

    def plot_history(self, history: Sequence[dict[str, Any]]) -> None:
        if not history:
            return
        plt = _pyplot()
        epochs = [row["epoch"] for row in history]
        for filename, keys, ylabel in (
            ("loss.png", ("train_loss", "val_loss"), "loss"),
            ("correlation.png", ("val_srcc", "val_plcc", "val_pair_accuracy"), "value"),
        ):
            figure, axis = plt.subplots(figsize=(6, 4))
            for key in keys:
                values = [row.get(key) for row in history]
                if any(v is not None for v in values):
                    axis.plot(epochs, [np.nan if v is None else v for v in values], marker="o", label=key)
            axis.set_xlabel("epoch")
            axis.set_ylabel(ylabel)
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


def write_rows(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    """CSV with the union of keys as header (columns in first-seen order)."""
    columns: list[str] = []
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
