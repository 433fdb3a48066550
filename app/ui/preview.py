"""The large photo preview: a QGraphicsView with wheel zoom and a rectangle for crop search.

The photo is decoded on a worker (museum scans can be hundreds of megapixels, 16-bit or
EXIF-rotated; ``app.media.images.load_rgb`` handles all of it) and reduced to at most
``MAX_SIDE`` pixels for display; a region drawn with Shift+drag (or in crop mode) is mapped
back to the original image's pixels before it is emitted.
"""
from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsScene, QGraphicsView, QRubberBand

from app.ui.workers import run_task

MAX_SIDE = 4096
ZOOM_STEP = 1.15


def load_preview(path: str, max_side: int = MAX_SIDE) -> tuple[QImage, float]:
    """Worker: the photo as a QImage no larger than ``max_side``, and the scale applied."""
    from app.services.photos import load_rgb

    img = load_rgb(path)
    scale = min(1.0, max_side / max(img.size))
    if scale < 1.0:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))))
    data = img.tobytes()
    qimage = QImage(data, img.width, img.height, 3 * img.width, QImage.Format.Format_RGB888)
    return qimage.copy(), scale  # copy: the QImage must own its pixels once ``data`` is gone


class PhotoPreview(QGraphicsView):
    """Zoomable preview; ``regionSelected(x, y, w, h)`` in original pixels (crop search)."""

    regionSelected = Signal(int, int, int, int)
    loaded = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("preview")
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.SmoothTransformation)
        self.scene().addItem(self.item)
        self.setRenderHint(QPainter.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setMinimumSize(QSize(200, 160))
        self.crop_mode = False
        self.fitted = True  # until the curator zooms, the photo follows the view's size
        self.path: str | None = None
        self.scale_to_original = 1.0
        self._band = QRubberBand(QRubberBand.Rectangle, self.viewport())
        self._band_origin: QPoint | None = None
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._wanted: str | None = None

    # -- loading ---------------------------------------------------------------------------
    def show_photo(self, path: str | None) -> None:
        """Show ``path`` (None clears); decoding happens on a worker thread."""
        self._wanted = path
        if path is None:
            self.item.setPixmap(QPixmap())
            self.path = None
            return
        run_task(self._pool, lambda: load_preview(path),
                 lambda found: self._on_loaded(path, *found),
                 lambda exc: self._on_failed(path))

    def _on_loaded(self, path: str, image: QImage, scale: float) -> None:
        if path != self._wanted:
            return  # the selection moved on meanwhile
        self.path = path
        self.scale_to_original = 1.0 / scale
        self.item.setPixmap(QPixmap.fromImage(image))
        self.scene().setSceneRect(QRectF(image.rect()))
        self.fit()
        self.loaded.emit(True)

    def _on_failed(self, path: str) -> None:
        if path == self._wanted:
            self.item.setPixmap(QPixmap())
            self.path = None
            self.loaded.emit(False)

    # -- zoom ------------------------------------------------------------------------------
    def fit(self) -> None:
        self.fitted = True
        if not self.item.pixmap().isNull():
            self.fitInView(self.item, Qt.AspectRatioMode.KeepAspectRatio)

    def zoom(self, steps: float) -> None:
        factor = ZOOM_STEP ** steps
        self.fitted = False
        self.scale(factor, factor)

    def resizeEvent(self, event) -> None:
        """A view that opens small (a tabbed dock, a dialog being laid out) or is resized keeps
        the whole photo in sight, unless the curator has zoomed."""
        super().resizeEvent(event)
        if self.fitted:
            self.fit()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.fitted:
            self.fit()

    def zoom_factor(self) -> float:
        return self.transform().m11()

    def wheelEvent(self, event) -> None:
        self.zoom(event.angleDelta().y() / 120.0)
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:
        self.fit()

    # -- region selection (crop search) ----------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if self._selecting(event):
            self._band_origin = event.position().toPoint()
            self._band.setGeometry(QRect(self._band_origin, QSize()))
            self._band.show()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._band_origin is not None:
            self._band.setGeometry(QRect(self._band_origin, event.position().toPoint()).normalized())
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._band_origin is None:
            super().mouseReleaseEvent(event)
            return
        rect = QRect(self._band_origin, event.position().toPoint()).normalized()
        self._band_origin = None
        self._band.hide()
        self.select_view_rect(rect)

    def _selecting(self, event) -> bool:
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        return event.button() == Qt.MouseButton.LeftButton and (self.crop_mode or shift) and self.path is not None

    def select_view_rect(self, rect: QRect) -> None:
        """Emit the region under ``rect`` (viewport pixels) in original-photo pixels."""
        if rect.width() < 4 or rect.height() < 4:
            return
        scene = self.mapToScene(rect).boundingRect().intersected(self.item.boundingRect())
        if scene.isEmpty():
            return
        k = self.scale_to_original
        self.regionSelected.emit(round(scene.x() * k), round(scene.y() * k),
                                 round(scene.width() * k), round(scene.height() * k))
