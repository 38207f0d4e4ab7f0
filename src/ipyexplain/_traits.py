"""Trait types shared by the views."""

from __future__ import annotations

from typing import Any

import traitlets as t


class Matrix(t.Any):
    """An array-valued trait that notifies on every assignment.

    traitlets compares old and new values with ``==`` to skip no-op changes; for a large numpy
    array that is an element-wise comparison costing seconds (and raising, then ignored). An
    assignment of an array is always a change here.
    """

    def set(self, obj: t.HasTraits, value: Any) -> None:
        new_value = self._validate(obj, value)
        assert self.name is not None
        old_value = obj._trait_values.get(self.name, self.default_value)
        obj._trait_values[self.name] = new_value
        if old_value is not new_value:
            obj._notify_trait(self.name, old_value, new_value)
