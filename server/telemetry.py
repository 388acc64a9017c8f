"""What the server tells its operators: Prometheus metrics and structured JSON log lines."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from server.index import Index
from server.metrics import Registry
from server.searchpool import SearchPool
from server.usage import UsageStore

ACCESS_LOGGER = "promptctl.server.access"
RELOAD_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class ServerMetrics:
    """The server's metric families, in one ``Registry`` per app."""

    def __init__(self) -> None:
        self.registry = r = Registry()
        self.latency = r.histogram("promptctl_http_request_duration_seconds",
                                   "Request latency by route template and method.",
                                   labels=("route", "method"))
        self.responses = r.counter("promptctl_http_responses_total",
                                   "Responses by route template, method and status code.",
                                   labels=("route", "method", "status"))
        self.index_info = r.gauge("promptctl_index_info",
                                  "The commit served now (always 1).",
                                  labels=("commit", "ref"))
        self.index_age = r.gauge("promptctl_index_age_seconds",
                                 "Seconds since the served index was built.")
        self.prompts = r.gauge("promptctl_index_prompts", "Prompts in the served index.")
        self.prompt_errors = r.gauge("promptctl_index_prompt_errors",
                                     "Files on the branch that do not load or validate.")
        self.reload_duration = r.histogram("promptctl_index_reload_duration_seconds",
                                           "Time to build and swap in a new index.",
                                           buckets=RELOAD_BUCKETS)
        self.reload_failures = r.counter("promptctl_index_reload_failures_total",
                                         "Checks or rebuilds that failed (the last index "
                                         "kept serving).")
        self.render_errors = r.counter("promptctl_render_errors_total",
                                       "Renders that failed (bad inputs or template errors).",
                                       labels=("reason",))
        self.usage_written = r.counter("promptctl_usage_events_written_total",
                                       "Usage events written to the store.")
        self.usage_dropped = r.counter("promptctl_usage_events_dropped_total",
                                       "Usage events dropped (queue full or store closed).")
        self.usage_failed = r.counter("promptctl_usage_events_failed_total",
                                      "Usage events given up after failed writes.")
        self.usage_pruned = r.counter("promptctl_usage_events_pruned_total",
                                      "Usage events deleted for being older than the retention.")
        self.usage_healthy = r.gauge("promptctl_usage_store_healthy",
                                     "1 while the usage store writes, 0 after a failure.")
        self.search_workers = r.gauge("promptctl_search_workers",
                                      "Search worker processes running (server.searchpool).")
        self.search_answers = r.counter("promptctl_search_answers_total",
                                        "Searches answered, not from the answer cache: by "
                                        "a search worker or by the server process.",
                                        labels=("by",))
        self._commit: tuple[str, str] | None = None
        self._usage_seen = (0, 0, 0, 0)

    def indexed(self, index: Index, seconds: float) -> None:
        if self._commit is not None:  # one series: the commit served now
            self.index_info.remove(commit=self._commit[0], ref=self._commit[1])
        self._commit = (index.commit, index.ref)
        self.index_info.labels(commit=index.commit, ref=index.ref).set(1)
        self.prompts.set(len(index.entries))
        self.prompt_errors.set(len(index.errors))
        self.reload_duration.observe(seconds)

    def render(self, index: Index | None, usage: UsageStore | None,
               pool: SearchPool | None = None) -> str:
        """The exposition text, with the values that are read at scrape time brought up to date."""
        if pool is not None:
            self.search_workers.set(pool.running)
        if index is not None:
            self.index_age.set(max(0.0, time.time() - index.built_at))
        if usage is not None:
            now = (usage.written, usage.dropped, usage.failed, usage.pruned)
            seen = self._usage_seen
            self._usage_seen = now
            self.usage_written.inc(max(0, now[0] - seen[0]))
            self.usage_dropped.inc(max(0, now[1] - seen[1]))
            self.usage_failed.inc(max(0, now[2] - seen[2]))
            self.usage_pruned.inc(max(0, now[3] - seen[3]))
            self.usage_healthy.set(1 if usage.healthy else 0)
        return self.registry.render()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            # Tracebacks stay in the server's log, as one JSON string; never in a response.
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr for the server's and uvicorn's loggers (called by ``serve``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("promptctl.server", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
