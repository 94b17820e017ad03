"""A small Prometheus registry for this process: labelled counters and histograms,
rendered in the text exposition format (https://prometheus.io/docs/instrumenting/exposition_formats/).

Recording is a dict update (no lock: the event loop is one thread; the few calls from
worker threads only add to counters, where a lost increment is harmless). With
``serve --workers N`` each process keeps its own counts; figures read from the database
(jobs, queue, credits) are the deployment's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

Labels = tuple[tuple[str, str], ...]
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Registry:
    def __init__(self) -> None:
        self._counters: dict[str, dict[Labels, float]] = {}
        self._histograms: dict[str, dict[Labels, list[float]]] = {}  # buckets, sum, count
        self._help: dict[str, tuple[str, str]] = {}

    def describe(self, name: str, kind: str, text: str) -> None:
        self._help.setdefault(name, (kind, text))

    def inc(self, name: str, labels: Mapping[str, str], by: float = 1.0) -> None:
        series = self._counters.setdefault(name, {})
        key = tuple(sorted(labels.items()))
        series[key] = series.get(key, 0.0) + by

    def observe(self, name: str, labels: Mapping[str, str], value: float) -> None:
        series = self._histograms.setdefault(name, {})
        key = tuple(sorted(labels.items()))
        cells = series.get(key)
        if cells is None:
            cells = series[key] = [0.0] * (len(BUCKETS) + 2)
        for i, bound in enumerate(BUCKETS):
            if value <= bound:
                cells[i] += 1
        cells[-2] += value
        cells[-1] += 1

    def render(self, gauges: Iterable[tuple[str, Mapping[str, str], float]] = ()) -> str:
        """The exposition text of everything recorded, plus ``gauges`` read just now."""
        lines: list[str] = []
        for name, series in sorted(self._counters.items()):
            self._head(lines, name, "counter")
            lines += [f"{name}{_labels(k)} {_num(v)}" for k, v in sorted(series.items())]
        for name, hist in sorted(self._histograms.items()):
            self._head(lines, name, "histogram")
            for key, cells in sorted(hist.items()):
                for i, bound in enumerate(BUCKETS):
                    lines.append(f"{name}_bucket{_labels(key + (('le', str(bound)),))} "
                                 f"{_num(cells[i])}")
                lines.append(f"{name}_bucket{_labels(key + (('le', '+Inf'),))} "
                             f"{_num(cells[-1])}")
                lines.append(f"{name}_sum{_labels(key)} {_num(cells[-2])}")
                lines.append(f"{name}_count{_labels(key)} {_num(cells[-1])}")
        seen: set[str] = set()
        for name, labels, value in gauges:
            if name not in seen:
                seen.add(name)
                self._head(lines, name, "gauge")
            lines.append(f"{name}{_labels(tuple(sorted(labels.items())))} {_num(value)}")
        return "\n".join(lines) + "\n"

    def _head(self, lines: list[str], name: str, kind: str) -> None:
        declared, text = self._help.get(name, (kind, name.replace("_", " ")))
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {declared}"]


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    body = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
    return "{" + body + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _num(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if value == int(value) else repr(value)


REGISTRY = Registry()  # this process's (as prometheus_client's default registry is)
