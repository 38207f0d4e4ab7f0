"""Which panel a metric goes to: losses together (train vs validation), learning rates on their own
axis, every other metric together; or what the user says with ``panels=``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

LOSS, METRICS, LR = "Loss", "Metrics", "Learning rate"
_LR = re.compile(r"(^|[_\W])(lr|learning[_ ]?rate)([_\W]|$)|^lr\d*$", re.IGNORECASE)
_LOSS = re.compile(r"loss|nll|perplexity|^ppl$|cross[_ ]?entropy|mse|mae|rmse", re.IGNORECASE)
_VALIDATION = re.compile(r"(^|[_\W])(val|valid|validation|test|eval|dev)([_\W]|$)", re.IGNORECASE)


def default_family(name: str) -> str:
    if _LR.search(name):
        return LR
    if _LOSS.search(name):
        return LOSS
    return METRICS


def is_validation(name: str) -> bool:
    """``val_loss``, ``loss/valid``, ``test acc`` ... are drawn dashed next to their training twin."""
    return bool(_VALIDATION.search(name))


def base_name(name: str) -> str:
    """The metric without its split: ``val_loss`` and ``train_loss`` are both ``loss``."""
    stripped = re.sub(r"(^|[_\W])(val|valid|validation|test|eval|dev|train|training)(?=[_\W]|$)", "", name,
                      flags=re.IGNORECASE)
    return stripped.strip("_/ .-") or name


class Families:
    """Metric name -> panel title, from ``panels`` (title -> metric names) or the default rules."""

    def __init__(self, panels: Mapping[str, Sequence[str]] | None = None) -> None:
        self._explicit: dict[str, str] = {}
        self.order: list[str] = []
        if panels is not None:
            if not isinstance(panels, Mapping):
                raise TypeError(f"panels must map a panel title to metric names; got {type(panels).__name__}")
            for title, names in panels.items():
                if isinstance(names, str) or not isinstance(names, Sequence):
                    raise TypeError(f"panels[{title!r}] must be a list of metric names; got {names!r}")
                self.order.append(str(title))
                for metric in names:
                    if metric in self._explicit:
                        raise ValueError(f"metric {metric!r} is in two panels: {self._explicit[metric]!r} and "
                                         f"{title!r}")
                    self._explicit[str(metric)] = str(title)

    def of(self, name: str) -> str:
        return self._explicit.get(name) or default_family(name)

    def rank(self, title: str) -> int:
        """Panels in a stable order: the user's, then loss, metrics, learning rate, then any other."""
        if title in self.order:
            return self.order.index(title)
        defaults = [LOSS, METRICS, LR]
        return len(self.order) + (defaults.index(title) if title in defaults else len(defaults))
