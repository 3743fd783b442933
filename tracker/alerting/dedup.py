"""A bounded memory of what was already notified."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable


class Seen:
    """The last ``capacity`` keys, least recently seen forgotten first.

    ``first(key)`` is True once per key while it is remembered: an alert state
    re-emitted by a replay (same alert id, same state) is notified once.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._keys: OrderedDict[Hashable, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._keys

    def first(self, key: Hashable) -> bool:
        """Remember ``key``; True if it was not remembered before."""
        if key in self._keys:
            self._keys.move_to_end(key)
            return False
        self._keys[key] = None
        if len(self._keys) > self.capacity:
            self._keys.popitem(last=False)
        return True
