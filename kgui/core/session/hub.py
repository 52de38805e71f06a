"""Events delivered by type: a view subscribes to the event types it shows (glue's ``Hub.subscribe``)."""
from __future__ import annotations

from typing import Callable


class EventHub:
    """Handlers in the order they subscribed, each for one event type (its instances) or for every event."""

    def __init__(self):
        self._handlers: list[tuple[type | None, Callable]] = []

    def subscribe(self, event_type: type | None, handler: Callable) -> None:
        """``handler(event)`` for each event of ``event_type`` (None: every event) from now on."""
        self._handlers.append((event_type, handler))

    def unsubscribe(self, event_type: type | None, handler: Callable) -> None:
        self._handlers.remove((event_type, handler))

    def publish(self, event) -> None:
        for event_type, handler in list(self._handlers):
            if event_type is None or isinstance(event, event_type):
                handler(event)
