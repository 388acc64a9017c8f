"""The metrics registry: exact text exposition format 0.0.4, escaping, thread safety, misuse."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import pytest

from server.metrics import CONTENT_TYPE, DEFAULT_BUCKETS, Registry, format_value


def test_small_registry_renders_exactly() -> None:
    registry = Registry()
    responses = registry.counter("http_responses_total", "Responses by status.",
                                 labels=("status",))
    responses.labels(status="200").inc()
    responses.labels(status="200").inc(2)
    responses.labels(status=404).inc()
    registry.counter("index_reloads_total", "Index reloads.").inc()
    registry.gauge("index_prompts", "Prompts in the index.").set(12)
    latency = registry.histogram("http_request_duration_seconds", "Request latency.",
                                 labels=("route", "method"), buckets=(0.25, 1))
    for value in (0.25, 0.5, 2):
        latency.labels(route="/api/v1/prompts", method="GET").observe(value)
    registry.histogram("index_reload_seconds", "Reload time.", buckets=(0.5,))

    assert registry.render() == (
        "# HELP http_request_duration_seconds Request latency.\n"
        "# TYPE http_request_duration_seconds histogram\n"
        'http_request_duration_seconds_bucket{route="/api/v1/prompts",method="GET",le="0.25"} 1\n'
        'http_request_duration_seconds_bucket{route="/api/v1/prompts",method="GET",le="1"} 2\n'
        'http_request_duration_seconds_bucket{route="/api/v1/prompts",method="GET",le="+Inf"} 3\n'
        'http_request_duration_seconds_sum{route="/api/v1/prompts",method="GET"} 2.75\n'
        'http_request_duration_seconds_count{route="/api/v1/prompts",method="GET"} 3\n'
        "# HELP http_responses_total Responses by status.\n"
        "# TYPE http_responses_total counter\n"
        'http_responses_total{status="200"} 3\n'
        'http_responses_total{status="404"} 1\n'
        "# HELP index_prompts Prompts in the index.\n"
        "# TYPE index_prompts gauge\n"
        "index_prompts 12\n"
        "# HELP index_reload_seconds Reload time.\n"
        "# TYPE index_reload_seconds histogram\n"
        'index_reload_seconds_bucket{le="0.5"} 0\n'
        'index_reload_seconds_bucket{le="+Inf"} 0\n'
        "index_reload_seconds_sum 0\n"
        "index_reload_seconds_count 0\n"
        "# HELP index_reloads_total Index reloads.\n"
        "# TYPE index_reloads_total counter\n"
        "index_reloads_total 1\n"
    )
    assert CONTENT_TYPE == "text/plain; version=0.0.4; charset=utf-8"


def test_labelled_family_without_children_renders_only_help_and_type() -> None:
    registry = Registry()
    registry.counter("render_errors_total", "Render errors.", labels=("prompt_id",))
    assert registry.render() == (
        "# HELP render_errors_total Render errors.\n# TYPE render_errors_total counter\n"
    )
    assert Registry().render() == ""


def test_label_values_and_help_are_escaped() -> None:
    registry = Registry()
    counter = registry.counter("odd_total", 'Help with a \\ backslash,\na newline and "quotes".',
                               labels=("value",))
    counter.labels(value='back\\slash "quoted"\nnext line').inc()
    assert registry.render() == (
        '# HELP odd_total Help with a \\\\ backslash,\\na newline and "quotes".\n'
        "# TYPE odd_total counter\n"
        'odd_total{value="back\\\\slash \\"quoted\\"\\nnext line"} 1\n'
    )


def test_histogram_buckets_are_cumulative_and_le_is_inclusive() -> None:
    registry = Registry()
    histogram = registry.histogram("h", "H.", buckets=(1, 2, 4))
    for value in (0.5, 1, 1.5, 2, 3, 4, 100, -1):
        histogram.observe(value)
    lines = [line for line in registry.render().splitlines() if line.startswith("h_bucket")]
    assert lines == [
        'h_bucket{le="1"} 3',  # -1, 0.5 and 1 itself
        'h_bucket{le="2"} 5',
        'h_bucket{le="4"} 7',
        'h_bucket{le="+Inf"} 8',
    ]
    assert "h_count 8" in registry.render()
    assert "h_sum 111" in registry.render()


def test_nan_observation_goes_to_the_inf_bucket_only() -> None:
    registry = Registry()
    histogram = registry.histogram("h", "H.", buckets=(1,))
    histogram.observe(math.nan)
    assert 'h_bucket{le="1"} 0\nh_bucket{le="+Inf"} 1\nh_sum NaN\nh_count 1\n' in (
        registry.render())


def test_default_buckets_cover_http_latency_in_seconds() -> None:
    assert DEFAULT_BUCKETS[0] == 0.0005
    assert DEFAULT_BUCKETS[-1] == 10
    assert list(DEFAULT_BUCKETS) == sorted(set(DEFAULT_BUCKETS))
    registry = Registry()
    registry.histogram("latency_seconds", "L.")
    assert registry.render().count("latency_seconds_bucket") == len(DEFAULT_BUCKETS) + 1


def test_gauge_moves_both_ways() -> None:
    registry = Registry()
    gauge = registry.gauge("in_flight", "Requests in flight.", labels=("route",))
    child = gauge.labels(route="/a")
    child.inc()
    child.inc(4)
    child.dec(2.5)
    assert child.value == 2.5
    child.set(-1)
    assert 'in_flight{route="/a"} -1\n' in registry.render()


def test_a_removed_series_is_no_longer_exposed() -> None:
    registry = Registry()
    info = registry.gauge("build_info", "The build.", labels=("commit",))
    info.labels(commit="aaa").set(1)
    info.labels(commit="bbb").set(1)
    info.remove(commit="aaa")
    info.remove(commit="never-there")
    text = registry.render()
    assert 'build_info{commit="bbb"} 1\n' in text
    assert "aaa" not in text
    with pytest.raises(ValueError, match="takes labels"):
        info.remove(sha="bbb")


@pytest.mark.parametrize(("value", "expected"), [
    (0.0, "0"), (3.0, "3"), (-2.0, "-2"), (0.5, "0.5"), (0.0005, "0.0005"), (1e-05, "1e-05"),
    (1e20, "1e+20"), (math.inf, "+Inf"), (-math.inf, "-Inf"), (math.nan, "NaN"),
])
def test_format_value(value: float, expected: str) -> None:
    assert format_value(value) == expected


def test_concurrent_increments_and_observations_are_exact() -> None:
    registry = Registry()
    counter = registry.counter("hits_total", "Hits.", labels=("worker",))
    total = registry.counter("all_hits_total", "All hits.")
    histogram = registry.histogram("lat_seconds", "Latency.", buckets=(0.5,))
    threads_n, per_thread = 8, 5_000

    def work(index: int) -> None:
        child = counter.labels(worker=str(index % 2))
        for _ in range(per_thread):
            child.inc()
            total.inc()
            histogram.observe(0.25)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    expected = threads_n * per_thread
    text = registry.render()
    assert f"all_hits_total {expected}\n" in text
    assert f'hits_total{{worker="0"}} {expected // 2}\n' in text
    assert f'hits_total{{worker="1"}} {expected // 2}\n' in text
    assert f'lat_seconds_bucket{{le="0.5"}} {expected}\n' in text
    assert f"lat_seconds_count {expected}\n" in text
    assert f"lat_seconds_sum {format_value(expected * 0.25)}\n" in text


def _registry_with_all() -> Registry:
    registry = Registry()
    registry.counter("c_total", "C.", labels=("status",))
    registry.counter("plain_total", "Plain.")
    registry.histogram("h_seconds", "H.")
    return registry


@pytest.mark.parametrize(("action", "error", "message"), [
    (lambda r: r.counter("1bad", "x"), ValueError, "invalid metric name '1bad'"),
    (lambda r: r.counter("bad-name", "x"), ValueError, "invalid metric name"),
    (lambda r: r.gauge("g", "x", labels=("bad-label",)), ValueError, "invalid label name"),
    (lambda r: r.gauge("g", "x", labels=("__reserved",)), ValueError, "invalid label name"),
    (lambda r: r.gauge("g", "x", labels=("a", "a")), ValueError, "duplicate label names"),
    (lambda r: r.gauge("g", "x", labels="route"), TypeError, "not a string"),
    (lambda r: r.counter("c_total", "again"), ValueError, "already registered"),
    (lambda r: r.gauge("h_seconds_count", "clash"), ValueError, "already registered"),
    (lambda r: r.histogram("h2", "x", labels=("le",)), ValueError, "'le' is reserved"),
    (lambda r: r.histogram("h2", "x", buckets=(1, 0.5)), ValueError, "strictly increasing"),
    (lambda r: r.histogram("h2", "x", buckets=(1, 1)), ValueError, "strictly increasing"),
    (lambda r: r.histogram("h2", "x", buckets=(math.nan,)), ValueError, "NaN"),
    (lambda r: r.counter("plain_total", "x"), ValueError, "already registered"),
])
def test_registration_errors(action: Callable[[Registry], object], error: type[Exception],
                             message: str) -> None:
    registry = _registry_with_all()
    with pytest.raises(error, match=message):
        action(registry)


def test_misuse_of_metrics_raises() -> None:
    registry = Registry()
    labelled = registry.counter("c_total", "C.", labels=("status",))
    plain = registry.counter("plain_total", "Plain.")
    with pytest.raises(ValueError, match=r"takes labels \['status'\], got \['code'\]"):
        labelled.labels(code="200")
    with pytest.raises(ValueError, match="takes labels"):
        labelled.labels()
    with pytest.raises(ValueError, match="takes labels"):
        labelled.labels(status="200", extra="x")
    with pytest.raises(ValueError, match=r"call \.labels\(\) first"):
        labelled.inc()
    with pytest.raises(ValueError, match="has no labels"):
        plain.labels(status="200")
    with pytest.raises(ValueError, match="counters only go up"):
        plain.inc(-1)
    with pytest.raises(ValueError, match="counters only go up"):
        labelled.labels(status="200").inc(-0.5)
    # Nothing above changed a value.
    assert "plain_total 0\n" in registry.render()
    assert labelled.labels(status="200").value == 0
