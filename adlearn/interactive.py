"""Moved: `explore` now lives in `adlearn.widgets` (kept until lessons import it there)."""

from .widgets import Explorer, explore  # noqa: F401
