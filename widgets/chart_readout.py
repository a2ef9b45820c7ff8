"""The chart's hover readout: the crosshair, the box beside it (the bucket under the cursor and each visible
series' value there, with its previous-period value and change) and the point nearest a right-click
(a mixin of :class:`widgets.chart_view.ChartView`, kept in its own file)."""

from __future__ import annotations

import datetime as dt
import html

import numpy as np

from widgets.chart_partial import partial_mask
from widgets.table_model import format_value
from widgets.theme import colors


class ChartReadoutMixin:
    """What is under the cursor: ``readout_text`` / ``readout_html`` for a bucket, ``show_readout_at`` to draw
    the crosshair and box, ``nearest_point`` for the drill menus."""

    def _on_mouse_moved(self, event) -> None:
        pos = event[0]
        vb = self.plot_item.vb
        if not self._series or not self.plot_item.sceneBoundingRect().contains(pos) or not len(self._x_all):
            self._hide_crosshair()
            return
        point = vb.mapSceneToView(pos)
        self.show_readout_at(point.x(), point.y())

    def readout_text(self, x: float) -> tuple[float, list[tuple[str, float]]]:
        """The bucket nearest to ``x`` and each visible series' value there."""
        i = int(np.clip(np.searchsorted(self._x_all, x), 0, len(self._x_all) - 1))
        if i > 0 and abs(self._x_all[i - 1] - x) < abs(self._x_all[i] - x):
            i -= 1
        bucket = float(self._x_all[i])
        values = []
        for s in self._series:
            if not self._items[s.name].isVisible():
                continue
            j = np.searchsorted(s.x, bucket)
            if j < len(s.x) and s.x[j] == bucket:
                values.append((s.name, float(s.y[j])))
        return bucket, values

    def readout_html(self, bucket: float, values: list[tuple[str, float]]) -> str:
        """Timestamp, then one line per series (largest first) with its previous-period value beside it."""
        when = dt.datetime.fromtimestamp(bucket, dt.timezone.utc)
        fmt = "%a %Y-%m-%d" if (when.hour, when.minute) == (0, 0) else "%a %Y-%m-%d %H:%M"
        c = colors()
        by_name = dict(values)
        groups: dict[str, tuple[float | None, float | None, str]] = {}
        for s in self._series:
            if s.name not in by_name:
                continue
            g = s.group or s.name
            cur, prev, color = groups.get(g, (None, None, s.color))
            if s.dashed:
                prev = by_name[s.name]
            else:
                cur = by_name[s.name]
            groups[g] = (cur, prev, color)

        def key(item):
            cur = item[1][0]
            return -(cur if cur is not None and np.isfinite(cur) else -np.inf)

        ordered = sorted(groups.items(), key=key)
        rows = [f"<b>{html.escape(when.strftime(fmt))}</b>"]
        partial = bool(partial_mask(np.array([bucket]), self.partial_marks.spans)[0])
        if partial:  # a change against a whole previous period would read as a drop
            rows[0] += f" <span style='color:{c['disabled']}'>(incomplete period)</span>"
        for name, (cur, prev, color) in ordered[:12]:
            text = "no data" if cur is None or not np.isfinite(cur) else format_value(cur)
            line = f"<span style='color:{color}'>■</span> {html.escape(self._label(name))}: <b>{text}</b>"
            if prev is not None and np.isfinite(prev):
                change = ""
                if cur is not None and np.isfinite(cur) and prev and not partial:
                    change = f", {100 * (cur - prev) / abs(prev):+.1f}%"
                line += f" <span style='color:{c['disabled']}'>(prev {format_value(prev)}{change})</span>"
            rows.append(line)
        if len(ordered) > 12:
            rows.append(f"… {len(ordered) - 12} more")
        return f"<div style='color:{c['text']}'>" + "<br>".join(rows) + "</div>"

    def show_readout_at(self, x: float, y: float) -> None:
        bucket, values = self.readout_text(x)
        self.readout.setHtml(self.readout_html(bucket, values))
        self.v_line.setPos(bucket)
        self.h_line.setPos(y)
        # Keep the box inside the view: left of the cursor on the right half, and never past either edge.
        (x0, x1), (y0, y1) = self.plot_item.vb.viewRange()
        px_width, _ = self.plot_item.vb.viewPixelSize()
        width = self.readout.boundingRect().width() * px_width
        left = x - width if x > (x0 + x1) / 2 else x
        left = max(x0, min(left, x1 - width))
        self.readout.setAnchor((0, 0))
        self.readout.setPos(left, y1)
        for item in (self.v_line, self.h_line, self.readout):
            item.show()

    def _hide_crosshair(self) -> None:
        for item in (self.v_line, self.h_line, self.readout):
            item.hide()

    def nearest_point(self, x: float, y: float) -> tuple[float, str | None]:
        """The bucket nearest to ``x`` and the visible current-period series whose value there is nearest ``y``."""
        bucket, values = self.readout_text(x)
        dashed = {s.name for s in self._series if s.dashed}
        candidates = [(abs(v - y), name) for name, v in values if name not in dashed and np.isfinite(v)]
        return bucket, (min(candidates)[1] if candidates else None)
