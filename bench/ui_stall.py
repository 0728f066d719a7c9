"""How long does the GUI event loop ever stall while a library is scanned and analysed?

    python bench/ui_stall.py [--photos 500] [--folder DIR] [--keep]

Generates DIR (``--photos`` JPEGs cut from scikit-image's sample photos, 1600 px,
with EXIF times and a burst every 10 frames) unless it exists, opens the real
main window offscreen on it with isolated user folders, and runs a heartbeat
``QTimer`` (5 ms) plus a "user" that scrolls the grid every 100 ms, until the
scan and the analysis are done. A stall is the gap between two heartbeats minus
the interval. The same heartbeat on the idle window gives the baseline, and the
ratio says how much the background work costs the UI. Target: longest stall < 50 ms.

To find *what* stalls, stalls are reported per stage (load / scan / analysis /
after), and the GUI-thread handlers that react to background work (merging photo
changes, relisting, repainting the grid, progress) are timed: their count, total
and longest run. The load average is printed with the result: on a machine whose
cores are all busy, even the idle window waits for the CPU.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HEARTBEAT_MS = 5
STAGES = ("load", "scan", "analysis")
#: GUI-thread code that runs because of background work (controller.method on MainWindow).
TIMED_HANDLERS = ("library.merge", "library.show_photos", "navigation.relist", "work.stage_progress",
                  "work.work_event", "filters.update_counts")
SOURCES = ("astronaut", "coffee", "chelsea", "rocket", "camera", "coins", "immunohistochemistry", "hubble_deep_field")


def make_folder(folder: Path, count: int) -> None:
    """``count`` 1600-px JPEGs: random crops of the sample photos, every 10th starting a 4-frame burst."""
    from skimage import data

    sources = [np.asarray(Image.fromarray(getattr(data, name)()).convert("RGB")) for name in SOURCES]
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    taken = datetime(2024, 7, 1, 9, 0, 0)
    for i in range(count):
        source = sources[(i // 10) % len(sources)] if i % 10 < 4 else sources[rng.integers(len(sources))]
        h, w = source.shape[:2]
        x, y = rng.integers(0, w // 4), rng.integers(0, h // 4)
        crop = Image.fromarray(source[y:y + 3 * h // 4, x:x + 3 * w // 4]).resize((1600, 1067))
        taken += timedelta(seconds=1 if i % 10 < 4 else 60)
        exif = Image.Exif()
        exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
        crop.save(folder / f"IMG_{i:05d}.jpg", "JPEG", quality=88, exif=exif)


def isolate() -> None:
    home = Path(tempfile.mkdtemp(prefix="photocull-stall-"))
    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        (home / var.lower()).mkdir()
        os.environ[var] = str(home / var.lower())
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class Heartbeat:
    def __init__(self, app, stage=lambda: "idle") -> None:
        from PySide6.QtCore import QTimer

        self.app = app
        self.stage = stage
        self.by_stage: dict[str, list[float]] = {}
        self.gaps: list[float] = []
        self.cpu: list[float] = []   # GUI-thread CPU ms between two beats: the stall an idle machine would see
        self.long: list[tuple[float, float, float, str]] = []   # (end, gap ms, GUI-thread CPU ms in it, stage)
        self.last = time.perf_counter()
        self.cpu_last = time.thread_time()
        self.timer = QTimer(interval=HEARTBEAT_MS)
        self.timer.timeout.connect(self.beat)

    def beat(self) -> None:
        now = time.perf_counter()
        cpu = time.thread_time()
        gap = max(0.0, (now - self.last) * 1000 - HEARTBEAT_MS)
        self.gaps.append(gap)
        self.cpu.append(max(0.0, (cpu - self.cpu_last) * 1000 - HEARTBEAT_MS))
        self.by_stage.setdefault(self.stage(), []).append(gap)
        if gap > 50:
            self.long.append((now, gap, (cpu - self.cpu_last) * 1000, self.stage()))
        self.last, self.cpu_last = now, cpu

    def run_until(self, done, limit_s: float) -> list[float]:
        self.gaps, self.cpu, self.long = [], [], []
        self.last, self.cpu_last = time.perf_counter(), time.thread_time()
        self.timer.start()
        end = time.monotonic() + limit_s
        while not done() and time.monotonic() < end:
            self.app.processEvents()
            time.sleep(0.001)
        self.timer.stop()
        return self.gaps


class HandlerTimes:
    """Wraps named methods of ``owner`` (``part.method`` reaches into its attributes) to time each call (count, total, longest, in ms)."""

    def __init__(self, owner, names) -> None:
        self.times: dict[str, list[float]] = {}
        self.spans: list[tuple[float, float, str]] = []   # (start, end, name), perf_counter seconds
        for name in names:
            self._wrap(owner, name)

    def _wrap(self, owner, name: str) -> None:
        *path, attribute = name.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, attribute)
        spent = self.times.setdefault(name, [])

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                ended = time.perf_counter()
                spent.append((ended - started) * 1000)
                self.spans.append((started, ended, name))

        setattr(owner, attribute, timed)

    def report(self) -> list[str]:
        rows = []
        for name, spent in sorted(self.times.items(), key=lambda item: -max(item[1], default=0)):
            if spent:
                rows.append(f"  {name:18s}: {len(spent):5d} calls, total {sum(spent):7.1f} ms, "
                            f"longest {max(spent):6.1f} ms")
        return rows


class GcPauses:
    """Spans of Python's cyclic garbage collector (it stops every thread of the process)."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float, str]] = []
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.spans.append((self._started, time.perf_counter(), f"gc gen{info['generation']}"))


def explain_stalls(long: list[tuple[float, float, float, str]], spans: list[tuple[float, float, str]]) -> list[str]:
    """For each stall > 50 ms: how much of it the GUI thread spent on CPU, and which timed code overlapped it.

    CPU ≈ gap means the GUI thread was busy (our code, or Qt's); CPU ≈ 0 means it was
    waiting — for a CPU core (a loaded machine) or for the GIL (another thread's Python).
    """
    rows = []
    for end, gap, cpu, stage in long:
        start = end - (gap + HEARTBEAT_MS) / 1000
        overlap: dict[str, float] = {}
        for s0, s1, name in spans:
            shared = min(end, s1) - max(start, s0)
            if shared > 0:
                overlap[name] = overlap.get(name, 0.0) + shared * 1000
        parts = ", ".join(f"{name} {ms:.0f} ms" for name, ms in sorted(overlap.items(), key=lambda i: -i[1])[:3])
        rows.append(f"  {gap:6.1f} ms stall in {stage:8s}: GUI thread on CPU {cpu:5.1f} ms; overlapping: {parts or 'nothing timed'}")
    return rows


def thread_cpu() -> dict[str, float]:
    """CPU seconds of each thread of this process by name (Linux; {} elsewhere): who else holds the GIL."""
    totals: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for stat in Path("/proc/self/task").glob("*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        totals[name] = totals.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return totals


def stage_of(window) -> str:
    return next((stage for stage in STAGES if stage in window.work.busy), "after")


def load_average() -> str:
    try:
        return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg()) + f" on {os.cpu_count()} cores"
    except OSError:
        return "load average unknown"


def summary(gaps: list[float]) -> str:
    if not gaps:
        return "no heartbeats"
    ordered = np.sort(np.asarray(gaps))
    return (f"longest {ordered[-1]:6.1f} ms, p99 {np.percentile(ordered, 99):5.1f} ms, "
            f"p50 {np.percentile(ordered, 50):4.1f} ms, stalls > 50 ms: {int((ordered > 50).sum())}, beats {len(gaps)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=500)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--limit", type=float, default=1800, help="give up after this many seconds")
    args = parser.parse_args(argv)
    isolate()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="photocull-stall-photos-")) / "shoot"
    if not folder.exists():
        started = time.monotonic()
        make_folder(folder, args.photos)
        print(f"generated {args.photos} photos in {time.monotonic() - started:.1f} s: {folder}")

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from photocull.app import create_window, parse_args
    from photocull.style import apply_theme

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    window = create_window(parse_args([]), save_settings=False)
    window.resize(1280, 820)
    window.show()
    heartbeat = Heartbeat(app, stage=lambda: stage_of(window))
    paint = HandlerTimes(window.grid, ("paintEvent",))
    handlers = HandlerTimes(window, TIMED_HANDLERS)
    collector = GcPauses()
    idle_end = time.monotonic() + 3.0
    baseline = heartbeat.run_until(lambda: time.monotonic() > idle_end, 10)
    print(f"idle window          : {summary(baseline)}  ({load_average()})")

    scroller = QTimer(interval=100)
    step = {"n": 0}

    def scroll() -> None:  # a user paging through the grid while it fills
        bar = window.grid.verticalScrollBar()
        step["n"] += 1
        bar.setValue((step["n"] * 400) % max(1, bar.maximum() + 1))

    scroller.timeout.connect(scroll)
    scroller.start()
    heartbeat.by_stage.clear()
    started = time.monotonic()
    window.open_folder(folder)
    busy = heartbeat.run_until(lambda: not window.working, args.limit)
    scroller.stop()
    seconds = time.monotonic() - started
    print(f"scan + analysis      : {summary(busy)}  ({load_average()})")
    print(f"  GUI-thread CPU only: {summary(heartbeat.cpu)}  (what the stalls would be with a free core)")
    for stage, gaps in heartbeat.by_stage.items():
        print(f"  during {stage:13s}: {summary(gaps)}")
    print("GUI-thread handlers during the work:")
    print("\n".join(handlers.report() + paint.report()))
    pauses = [(s1 - s0) * 1000 for s0, s1, _ in collector.spans]
    print(f"  garbage collections: {len(pauses)}, longest {max(pauses, default=0):.1f} ms")
    threads = sorted(thread_cpu().items(), key=lambda item: -item[1])
    print("  CPU by thread of the app process: " + ", ".join(f"{name} {sec:.1f} s" for name, sec in threads[:6]))
    print("Stalls over 50 ms, explained:")
    print("\n".join(explain_stalls(heartbeat.long, handlers.spans + paint.spans + collector.spans)) or "  none")
    print(f"work took {seconds:.1f} s for {len(window.session.photos)} photos; status: "
          f"{window.statusBar().currentMessage()}")
    base_longest = max(baseline) if baseline else 0.0
    longest = max(busy) if busy else 0.0
    print(f"longest stall {longest:.1f} ms vs idle {base_longest:.1f} ms "
          f"(ratio {longest / max(base_longest, 1.0):.1f}x); target < 50 ms: {'met' if longest < 50 else 'NOT met'}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
