"""Where the parallel-coordinates chart puts its axes and titles, in pixels (no drawing here).

Titles are staggered on up to three rows when they do not fit side by side, and elided to the
room their row leaves them, so no two overlap; the margins leave room for the first and last
titles and for the tick labels right of the last axis, so none is clipped.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_TITLE_ROWS = 3
MAX_TITLE_PX = 220.0  # a title is never wider than this, whatever the room
TITLE_GAP_PX = 12.0  # between two titles on one row
MIN_MARGIN_PX = 14.0


@dataclass(frozen=True)
class TitleLayout:
    """The chart's geometry for one size.

    Attributes:
        rows: title rows (1 to 3); title ``i`` sits on row ``i % rows`` (0 nearest the axes).
        title_width: the most pixels each title may take (elide to this).
        left, right: margins in pixels left of the first axis and right of the last.
        spacing: pixels between two neighbouring axes.
    """

    rows: int
    title_width: list[float]
    left: float
    right: float
    spacing: float


def layout_titles(width: float, title_widths: list[float], last_ticks_width: float) -> TitleLayout:
    """Choose rows, elision and margins for titles of ``title_widths`` pixels.

    Args:
        width: the plot's width in pixels.
        title_widths: each title's full width in pixels, left to right.
        last_ticks_width: the widest tick label of the last axis (drawn right of it).
    """
    count = len(title_widths)
    capped = [min(w, MAX_TITLE_PX) for w in title_widths]
    if count == 0:
        return TitleLayout(1, [], MIN_MARGIN_PX, MIN_MARGIN_PX, width)
    # first guess: margins for whole titles (capped to a third of the width each)
    third = max(width / 3.0, 2 * MIN_MARGIN_PX)
    left = min(max(capped[0] / 2 + 2, MIN_MARGIN_PX), third / 2)
    right = min(max(capped[-1] / 2 + 2, last_ticks_width + 10, MIN_MARGIN_PX), third)
    spacing = (width - left - right) / (count - 1) if count > 1 else width - left - right
    spacing = max(spacing, 1.0)
    rows = MAX_TITLE_ROWS
    for candidate in range(1, MAX_TITLE_ROWS + 1):
        if count == 1 or all(w <= candidate * spacing - TITLE_GAP_PX for w in capped):
            rows = candidate
            break
    room = max(rows * spacing - TITLE_GAP_PX, 24.0) if count > 1 else width
    allowed = [min(w, room) for w in capped]
    # the first and last titles may not run past the plot's edges either
    allowed[0] = min(allowed[0], 2 * (left - 2))
    allowed[-1] = min(allowed[-1], 2 * (right - 2))
    # tighter margins for the titles as elided: the axes only get more room
    left = max(allowed[0] / 2 + 2, MIN_MARGIN_PX)
    right = max(allowed[-1] / 2 + 2, last_ticks_width + 10, MIN_MARGIN_PX)
    spacing = (width - left - right) / (count - 1) if count > 1 else width - left - right
    return TitleLayout(rows, allowed, left, right, max(spacing, 1.0))
