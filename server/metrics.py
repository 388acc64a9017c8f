"""Prometheus metrics without a third-party client: counters, gauges and histograms.

The server needs a handful of metric families (request latency by route, responses by status,
index age, reload failures, usage events) rendered as the Prometheus text exposition format
0.0.4. That is a few hundred lines we can own, test exactly and keep free of the global default
registry and import-time state that ``prometheus_client`` brings: every app built by
``create_app(settings)`` gets its own ``Registry``, so tests that build several apps never see
each other's numbers.

Usage::

    registry = Registry()
    requests = registry.counter("http_requests_total", "Responses by status.", labels=("status",))
    requests.labels(status="200").inc()
    latency = registry.histogram("http_request_duration_seconds", "Latency.", labels=("route",))
    latency.labels(route="/api/v1/prompts").observe(0.004)
    body = registry.render()  # served with CONTENT_TYPE

Each family holds one lock shared by its children: an increment is a read-modify-write of a
float, which the GIL does not make atomic, and rendering must see a histogram's buckets, sum and
count from the same moment.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
import threading
from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# HTTP latency in seconds: sub-millisecond cache hits up to a 10 s worst case.
DEFAULT_BUCKETS: tuple[float, ...] = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")

LabelValue = str | int | float


def format_value(value: float) -> str:
    """Format a sample value the way Prometheus parses it back.

    Integral values print without ``.0`` (``3``, ``10``), so counters read naturally, and the
    special values use Prometheus' spellings (``+Inf``, ``-Inf``, ``NaN``).
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def escape_label_value(value: str) -> str:
    """Escape backslash, double quote and line feed, the three characters 0.0.4 reserves."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(text: str) -> str:
    """Escape backslash and line feed in HELP text (quotes are literal there)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _label_block(names: Sequence[str], values: Sequence[str]) -> str:
    if not names:
        return ""
    pairs = ",".join(f'{n}="{escape_label_value(v)}"' for n, v in zip(names, values, strict=True))
    return "{" + pairs + "}"


class CounterChild:
    """One labelled series of a counter: a value that only goes up."""

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock
        self._value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        """Add ``amount``; a negative amount is a bug (counters never go down), so it raises."""
        if amount < 0:
            raise ValueError(f"counters only go up; inc({amount}) is negative, use a gauge")
        with self._lock:
            self._value += amount

    @property
    def value(self) -> float:
        with self._lock:
            return self._value


class GaugeChild:
    """One labelled series of a gauge: a value that is set or moves both ways."""

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock
        self._value = 0.0

    def set(self, value: float) -> None:
        with self._lock:
            self._value = float(value)

    def inc(self, amount: float = 1.0) -> None:
        with self._lock:
            self._value += amount

    def dec(self, amount: float = 1.0) -> None:
        with self._lock:
            self._value -= amount

    @property
    def value(self) -> float:
        with self._lock:
            return self._value


class HistogramChild:
    """One labelled series of a histogram: per-bucket counts, their sum and count."""

    def __init__(self, lock: threading.Lock, bounds: tuple[float, ...]) -> None:
        self._lock = lock
        self._bounds = bounds  # strictly increasing, ends with +Inf
        self._counts = [0] * len(bounds)  # per bucket, not cumulative: one slot per observe
        self._sum = 0.0

    def observe(self, value: float) -> None:
        """Count ``value`` in the first bucket whose upper bound is >= it (``le`` is inclusive)."""
        # NaN compares false with everything; it belongs only in the +Inf bucket.
        index = len(self._bounds) - 1 if math.isnan(value) else bisect.bisect_left(
            self._bounds, value)
        with self._lock:
            self._counts[index] += 1
            self._sum += value

    @property
    def count(self) -> int:
        with self._lock:
            return sum(self._counts)

    @property
    def sum(self) -> float:
        with self._lock:
            return self._sum

    def _snapshot(self) -> tuple[list[int], float]:
        """Cumulative bucket counts and the sum; the caller holds the family lock."""
        cumulative: list[int] = []
        running = 0
        for count in self._counts:
            running += count
            cumulative.append(running)
        return cumulative, self._sum


ChildT = TypeVar("ChildT", CounterChild, GaugeChild, HistogramChild)


class _Family(Generic[ChildT]):
    """A metric name with its help, label names and one child per set of label values."""

    kind = ""

    def __init__(self, name: str, help: str, labels: Sequence[str]) -> None:
        self.name = name
        self.help = help
        self.label_names = tuple(labels)
        self._lock = threading.Lock()
        self._children: dict[tuple[str, ...], ChildT] = {}
        if not self.label_names:
            # An unlabelled metric is exposed as 0 from the start, as Prometheus clients do.
            self._children[()] = self._new_child()

    def _new_child(self) -> ChildT:
        raise NotImplementedError

    def labels(self, **values: LabelValue) -> ChildT:
        """The child for these label values, created on first use.

        The names must be exactly the family's label names: a typo would otherwise create a
        series nobody queries, so it raises ValueError instead.
        """
        if not self.label_names:
            raise ValueError(f"metric {self.name} has no labels; use it directly")
        if set(values) != set(self.label_names):
            raise ValueError(
                f"metric {self.name} takes labels {sorted(self.label_names)}, "
                f"got {sorted(values)}"
            )
        key = tuple(str(values[name]) for name in self.label_names)
        with self._lock:
            child = self._children.get(key)
            if child is None:
                child = self._children[key] = self._new_child()
            return child

    def remove(self, **values: LabelValue) -> None:
        """Drop the series of these label values (no error if there is none): for a label whose
        values come and go, such as a commit, so that the family does not grow forever."""
        if set(values) != set(self.label_names) or not self.label_names:
            raise ValueError(f"metric {self.name} takes labels {sorted(self.label_names)}, "
                             f"got {sorted(values)}")
        with self._lock:
            self._children.pop(tuple(str(values[name]) for name in self.label_names), None)

    def _unlabelled(self) -> ChildT:
        if self.label_names:
            raise ValueError(
                f"metric {self.name} has labels {list(self.label_names)}; call .labels() first"
            )
        return self._children[()]

    def _render(self, out: list[str]) -> None:
        out.append(f"# HELP {self.name} {escape_help(self.help)}")
        out.append(f"# TYPE {self.name} {self.kind}")
        with self._lock:
            for key in sorted(self._children):
                self._render_child(out, key, self._children[key])

    def _render_child(self, out: list[str], key: tuple[str, ...], child: ChildT) -> None:
        raise NotImplementedError

    def sample_names(self) -> tuple[str, ...]:
        """The names this family writes, so the registry can refuse a colliding family."""
        return (self.name,)


class Counter(_Family[CounterChild]):
    """A counter family; without labels, ``inc`` works on the family itself."""

    kind = "counter"

    def _new_child(self) -> CounterChild:
        return CounterChild(self._lock)

    def inc(self, amount: float = 1.0) -> None:
        self._unlabelled().inc(amount)

    def _render_child(self, out: list[str], key: tuple[str, ...], child: CounterChild) -> None:
        # The family lock is held: read the field, not the locking property.
        out.append(f"{self.name}{_label_block(self.label_names, key)} "
                   f"{format_value(child._value)}")


class Gauge(_Family[GaugeChild]):
    """A gauge family; without labels, ``set``/``inc``/``dec`` work on the family itself."""

    kind = "gauge"

    def _new_child(self) -> GaugeChild:
        return GaugeChild(self._lock)

    def set(self, value: float) -> None:
        self._unlabelled().set(value)

    def inc(self, amount: float = 1.0) -> None:
        self._unlabelled().inc(amount)

    def dec(self, amount: float = 1.0) -> None:
        self._unlabelled().dec(amount)

    def _render_child(self, out: list[str], key: tuple[str, ...], child: GaugeChild) -> None:
        out.append(f"{self.name}{_label_block(self.label_names, key)} "
                   f"{format_value(child._value)}")


class Histogram(_Family[HistogramChild]):
    """A histogram family; without labels, ``observe`` works on the family itself."""

    kind = "histogram"

    def __init__(self, name: str, help: str, labels: Sequence[str],
                 buckets: Iterable[float]) -> None:
        bounds = [float(b) for b in buckets]
        if any(math.isnan(b) for b in bounds):
            raise ValueError(f"histogram {name}: a bucket bound cannot be NaN")
        if not bounds or bounds[-1] != math.inf:
            bounds.append(math.inf)
        if any(a >= b for a, b in itertools.pairwise(bounds)):
            raise ValueError(f"histogram {name}: buckets must be strictly increasing: {bounds}")
        if "le" in labels:
            raise ValueError(f"histogram {name}: 'le' is reserved for the bucket bound")
        self.bounds = tuple(bounds)
        super().__init__(name, help, labels)

    def _new_child(self) -> HistogramChild:
        return HistogramChild(self._lock, self.bounds)

    def observe(self, value: float) -> None:
        self._unlabelled().observe(value)

    def sample_names(self) -> tuple[str, ...]:
        return (self.name, f"{self.name}_bucket", f"{self.name}_sum", f"{self.name}_count")

    def _render_child(self, out: list[str], key: tuple[str, ...], child: HistogramChild) -> None:
        cumulative, total = child._snapshot()
        names = (*self.label_names, "le")
        for bound, count in zip(self.bounds, cumulative, strict=True):
            block = _label_block(names, (*key, format_value(bound)))
            out.append(f"{self.name}_bucket{block} {count}")
        block = _label_block(self.label_names, key)
        out.append(f"{self.name}_sum{block} {format_value(total)}")
        out.append(f"{self.name}_count{block} {cumulative[-1]}")


_FamilyT = TypeVar("_FamilyT", Counter, Gauge, Histogram)


class Registry:
    """The metric families of one server, rendered together for ``GET /metrics``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._families: dict[str, Counter | Gauge | Histogram] = {}
        self._taken: set[str] = set()

    def counter(self, name: str, help: str, labels: Sequence[str] = ()) -> Counter:
        checked_name, checked_labels = _checked(name, labels)
        return self._register(Counter(checked_name, help, checked_labels))

    def gauge(self, name: str, help: str, labels: Sequence[str] = ()) -> Gauge:
        checked_name, checked_labels = _checked(name, labels)
        return self._register(Gauge(checked_name, help, checked_labels))

    def histogram(self, name: str, help: str, labels: Sequence[str] = (),
                  buckets: Iterable[float] = DEFAULT_BUCKETS) -> Histogram:
        checked_name, checked_labels = _checked(name, labels)
        return self._register(Histogram(checked_name, help, checked_labels, buckets))

    def _register(self, family: _FamilyT) -> _FamilyT:
        """Add a family; a name (or a histogram's _bucket/_sum/_count) used twice raises."""
        names = family.sample_names()
        with self._lock:
            clash = self._taken.intersection(names)
            if clash:
                raise ValueError(f"metric {family.name} is already registered "
                                 f"(clashes with {sorted(clash)})")
            self._taken.update(names)
            self._families[family.name] = family
        return family

    def render(self) -> str:
        """The whole registry in text format 0.0.4, families sorted by name, ending in a newline."""
        with self._lock:
            families = [self._families[name] for name in sorted(self._families)]
        out: list[str] = []
        for family in families:
            family._render(out)
        return "\n".join(out) + "\n" if out else ""


def _checked(name: str, labels: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """Validate a metric name and its label names against Prometheus' grammar."""
    if isinstance(labels, str):
        # labels="route" would silently become five one-letter labels.
        raise TypeError(f"metric {name}: labels must be a sequence of names, not a string")
    if not _METRIC_NAME.fullmatch(name):
        raise ValueError(f"invalid metric name {name!r}: must match [a-zA-Z_:][a-zA-Z0-9_:]*")
    label_names = tuple(labels)
    for label in label_names:
        if not _LABEL_NAME.fullmatch(label) or label.startswith("__"):
            raise ValueError(f"metric {name}: invalid label name {label!r} "
                             "(must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __)")
    if len(set(label_names)) != len(label_names):
        raise ValueError(f"metric {name}: duplicate label names {list(label_names)}")
    return name, label_names
