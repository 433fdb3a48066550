"""A small line plot painted with QPainter (live training losses, validation MAP, PR curves).

No plotting library: the window must not pull matplotlib into the GUI thread, and a few
hundred points per series are drawn in well under a millisecond.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

COLOURS = ["#c0392b", "#2471a3", "#229954", "#b7950b", "#7d3c98", "#ca6f1e", "#17a589", "#5d6d7e"]
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN = 46, 22, 8


class LinePlot(QWidget):
    """Named series of (x, y) points, auto-scaled, with a legend."""

    def __init__(self, title: str = "", parent=None):
        super().__init__(parent)
        self.title = title
        self.series: dict[str, list[tuple[float, float]]] = {}
        self.y_range: tuple[float, float] | None = None  # fixed range (e.g. 0..1 for MAP)
        self.setMinimumSize(240, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def clear(self) -> None:
        self.series.clear()
        self.update()

    def add_point(self, name: str, x: float, y: float) -> None:
        self.series.setdefault(name, []).append((float(x), float(y)))
        self.update()

    def set_series(self, name: str, points) -> None:
        self.series[name] = [(float(x), float(y)) for x, y in points]
        self.update()

    def bounds(self) -> tuple[float, float, float, float]:
        points = [p for pts in self.series.values() for p in pts]
        if not points:
            return 0.0, 1.0, 0.0, 1.0
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        x0, x1 = min(xs), max(xs)
        y0, y1 = self.y_range or (min(ys), max(ys))
        if x1 == x0:
            x1 = x0 + 1
        if y1 == y0:
            y0, y1 = y0 - 0.5, y1 + 0.5
        return x0, x1, y0, y1

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(MARGIN_LEFT, MARGIN + 14, self.width() - MARGIN_LEFT - MARGIN,
                      self.height() - MARGIN_BOTTOM - MARGIN - 14)
        painter.fillRect(self.rect(), self.palette().base())
        painter.setPen(self.palette().text().color())
        painter.drawText(QRectF(0, 2, self.width(), 16), Qt.AlignmentFlag.AlignHCenter, self.title)
        if area.width() <= 10 or area.height() <= 10:
            return
        bounds = self.bounds()
        self._axes(painter, area, bounds)
        for i, points in enumerate(self.series.values()):
            self._line(painter, area, bounds, points, QColor(COLOURS[i % len(COLOURS)]))
        self._legend(painter, area)

    def _axes(self, painter: QPainter, area: QRectF, bounds) -> None:
        x0, x1, y0, y1 = bounds
        painter.setPen(QPen(self.palette().mid().color()))
        painter.drawRect(area)
        painter.setPen(self.palette().text().color())
        for frac in (0.0, 0.5, 1.0):
            y = area.bottom() - frac * area.height()
            painter.drawText(QRectF(0, y - 8, MARGIN_LEFT - 4, 16), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             f"{y0 + frac * (y1 - y0):.3g}")
        painter.drawText(QRectF(area.left(), area.bottom() + 2, 60, 16), Qt.AlignmentFlag.AlignLeft, f"{x0:.3g}")
        painter.drawText(QRectF(area.right() - 60, area.bottom() + 2, 60, 16), Qt.AlignmentFlag.AlignRight, f"{x1:.3g}")

    def _line(self, painter: QPainter, area: QRectF, bounds, points, colour: QColor) -> None:
        if not points:
            return
        x0, x1, y0, y1 = bounds

        def to_px(x: float, y: float) -> QPointF:
            return QPointF(area.left() + (x - x0) / (x1 - x0) * area.width(),
                           area.bottom() - (y - y0) / (y1 - y0) * area.height())

        path = QPainterPath(to_px(*points[0]))
        for x, y in points[1:]:
            path.lineTo(to_px(x, y))
        painter.setPen(QPen(colour, 1.6))
        painter.drawPath(path)
        if len(points) == 1:
            painter.drawEllipse(to_px(*points[0]), 2.5, 2.5)

    def _legend(self, painter: QPainter, area: QRectF) -> None:
        y = area.top() + 4
        for i, name in enumerate(self.series):
            painter.setPen(QPen(QColor(COLOURS[i % len(COLOURS)]), 3))
            painter.drawLine(QPointF(area.right() - 90, y + 6), QPointF(area.right() - 76, y + 6))
            painter.setPen(self.palette().text().color())
            painter.drawText(QRectF(area.right() - 72, y, 70, 14), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
            y += 15


class BarChart(QWidget):
    """Named bars (0..1) each with a chance mark: "how many of the first ten are right" beside
    what a random order would give. The names sit under the bars, elided, never clipped."""

    def __init__(self, title: str = "", parent=None):
        super().__init__(parent)
        self.title = title
        self.bars: list[tuple[str, float, float]] = []  # (name, value, chance)
        self.chance_name = "chance"
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_bars(self, bars) -> None:
        self.bars = [(str(name), float(value), float(chance)) for name, value, chance in bars]
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        text = self.palette().text().color()
        painter.setPen(text)
        painter.drawText(QRectF(0, 2, self.width(), 16), Qt.AlignmentFlag.AlignHCenter, self.title)
        label_height = self.fontMetrics().height() + 4
        area = QRectF(MARGIN_LEFT, MARGIN + 14, self.width() - MARGIN_LEFT - MARGIN,
                      self.height() - MARGIN - 14 - label_height - 16)
        if not self.bars or area.width() <= 10 or area.height() <= 10:
            return
        painter.setPen(QPen(self.palette().mid().color()))
        painter.drawRect(area)
        painter.setPen(text)
        for frac in (0.0, 0.5, 1.0):
            y = area.bottom() - frac * area.height()
            painter.drawText(QRectF(0, y - 8, MARGIN_LEFT - 4, 16),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{frac:.1f}")
        slot = area.width() / len(self.bars)
        for i, (name, value, chance) in enumerate(self.bars):
            left = area.left() + i * slot + slot * 0.2
            width = slot * 0.6
            top = area.bottom() - max(0.0, min(1.0, value)) * area.height()
            painter.fillRect(QRectF(left, top, width, area.bottom() - top), QColor(COLOURS[1]))
            y = area.bottom() - max(0.0, min(1.0, chance)) * area.height()
            painter.setPen(QPen(QColor(COLOURS[0]), 2, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(left - slot * 0.1, y), QPointF(left + width + slot * 0.1, y))
            painter.setPen(text)
            painter.drawText(QRectF(left - slot * 0.2, top - 16, slot, 14), Qt.AlignmentFlag.AlignHCenter, f"{value:.2f}")
            caption = self.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, int(slot) - 2)
            painter.drawText(QRectF(area.left() + i * slot, area.bottom() + 2, slot, label_height),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, caption)
        legend = QRectF(area.left(), self.height() - 16, area.width(), 14)
        painter.setPen(QPen(QColor(COLOURS[0]), 2, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(legend.left(), legend.center().y()), QPointF(legend.left() + 18, legend.center().y()))
        painter.setPen(text)
        painter.drawText(legend.adjusted(22, 0, 0, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         self.chance_name)
