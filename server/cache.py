"""A small thread-safe LRU, for answers the server can compute again but would rather not."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Lru(Generic[V]):
    """The ``size`` most recently used values; with ``weigh``, the most recently used values
    whose weights add up to ``size`` at most (a value heavier than that is not kept)."""

    def __init__(self, size: int, *, weigh: Callable[[V], int] | None = None) -> None:
        self.size = size
        self._weigh = weigh
        self._weight = 0  # of the values kept
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, value: V) -> None:
        weigh = self._weigh
        weight = 1 if weigh is None else weigh(value)
        with self._lock:
            replaced = self._items.pop(key, None)
            if replaced is not None:
                self._weight -= 1 if weigh is None else weigh(replaced)
            if weight > self.size:
                return
            self._items[key] = value
            self._weight += weight
            while self._weight > self.size:
                _key, dropped = self._items.popitem(last=False)
                self._weight -= 1 if weigh is None else weigh(dropped)
