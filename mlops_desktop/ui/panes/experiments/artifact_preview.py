"""The preview beside the Artifacts list: images, SVG, text, JSON, tables and their charts.

Reading happens on the runner and reads only what the preview shows (the first rows, the first
bytes); images are decoded there too. Nothing an artifact holds is ever run: SVG is drawn by
QtSvg, which runs no scripts, and text is shown with its control characters escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QFontDatabase, QImage, QImageReader, QPixmap, QResizeEvent
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtSvgWidgets import QSvgWidget
from PySide6.QtWidgets import (
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.errors import ArtifactUnreadable
from mlops_desktop.core.runs import ArtifactRef
from mlops_desktop.services.artifact_content import ArtifactContent, read_artifact
from mlops_desktop.services.lab_store import LabStoreService
from mlops_desktop.store.blobs import BlobKey
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import human_bytes
from mlops_desktop.ui.item_models.table_preview import PreviewTableModel
from mlops_desktop.ui.panes.experiments.artifact_chart import TableChart
from mlops_desktop.ui.tasks import TaskRunner, TaskState

NO_ARTIFACT_TEXT = "Select an artifact to preview it."
LOADING_TEXT = "Reading {name}…"
FETCHING_TEXT = "Fetching {name} from the lab store…"
FETCHING_PERCENT_TEXT = "Fetching {name} from the lab store… {percent} %"


@dataclass(frozen=True)
class LoadedPreview:
    """What the runner read: the artifact's content and, for an image, the decoded image."""

    content: ArtifactContent
    image: QImage | None = None


def readable_path(store: LabStoreService | None, path: str, digest: str, state: TaskState) -> str:
    """Where the artifact can be read here (on the runner): this home's file, else the lab
    store's copy in this home's cache, fetched first if need be (progress reports with the
    message FETCHING say so and how far it got). Without a store, or for a malformed digest,
    ``path`` as it is.

    Raises:
        StoreUnreachable: only the store has it, and it cannot be reached (one sentence).
    """
    if store is None or not path or Path(path).is_file():
        return path
    try:
        key = BlobKey.of_digest(digest)
    except ValueError:
        return path
    if store.cache.get(key) is None and store.location() is not None:
        state.progress(0.0, FETCHING)

    def fetched(done: int, total: int, _what: str) -> None:
        state.progress(done / total if total else 1.0, FETCHING)
        state.check()  # another artifact was chosen: stop fetching this one

    return str(store.local_path(key, fetched))


FETCHING = "fetching"


def load_preview(
    store: LabStoreService | None, path: str, name: str, digest: str, *, state: TaskState
) -> LoadedPreview:
    """Read an artifact for its preview (on the runner), fetching it from the lab store when
    this home lacks it; decode it if it is an image.

    Raises:
        ArtifactUnreadable: the file cannot be read, or the image cannot be decoded.
        StoreUnreachable: only the lab store has it, and it cannot be reached.
    """
    content = read_artifact(readable_path(store, path, digest, state), name, digest)
    state.check()
    if content.kind != "image":
        return LoadedPreview(content)
    data = QByteArray(content.data)
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    image = reader.read()
    if image.isNull():
        kind = PurePosixPath(name).suffix.lstrip(".").upper() or "image"
        why = reader.errorString().rstrip(".").lower() or "the data is damaged"
        raise ArtifactUnreadable(f"{name} cannot be shown: it is not a valid {kind} image ({why}).")
    return LoadedPreview(content, image)


class ImageLabel(QLabel):
    """An image scaled down to fit, never up beyond its own size."""

    def __init__(self) -> None:
        super().__init__()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self._image = QImage()

    def set_image(self, image: QImage) -> None:
        self._image = image
        self._fit()

    def image(self) -> QImage:
        return self._image

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._image.isNull():
            self.clear()
            return
        pixmap = QPixmap.fromImage(self._image)
        if pixmap.width() > self.width() or pixmap.height() > self.height():
            pixmap = pixmap.scaled(
                self.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        self.setPixmap(pixmap)


class ArtifactPreview(QWidget):
    """Shows one artifact; see the module docstring."""

    def __init__(
        self,
        runner: TaskRunner,
        parent: QWidget | None = None,
        store: LabStoreService | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._store = store
        self._artifact: ArtifactRef | None = None
        self.content: ArtifactContent | None = None
        self.title_label = QLabel()
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        self.title_label.setWordWrap(True)
        self.note_label = QLabel()
        self.note_label.setWordWrap(True)
        self.note_label.setVisible(False)
        self.message = QLabel(NO_ARTIFACT_TEXT)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.image = ImageLabel()
        self.svg = QSvgWidget()
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.rows_model = PreviewTableModel(self)
        self.rows_view = QTableView()
        self.rows_view.setModel(self.rows_model)
        self.chart = TableChart()
        self.table_tabs = QTabWidget()
        self.table_tabs.addTab(self.rows_view, "Rows")
        self.table_tabs.addTab(self.chart, "Chart")
        self.pages = QStackedWidget()
        for page in (self.message, self.image, self.svg, self.text, self.table_tabs):
            self.pages.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title_label)
        layout.addWidget(self.note_label)
        layout.addWidget(self.pages, 1)

    def show_artifact(self, artifact: ArtifactRef | None) -> None:
        """Preview ``artifact`` (read on the runner), or say that none is chosen."""
        self._artifact = artifact
        self.content = None
        self._note("")
        if artifact is None:
            self.title_label.setText("")
            self._message(NO_ARTIFACT_TEXT)
            self._runner.cancel((self, "preview"))
            return
        self.title_label.setText(f"{artifact.name} · {human_bytes(artifact.size)}")
        self._message(LOADING_TEXT.format(name=artifact.name))
        self._runner.submit(
            load_preview,
            self._store,
            artifact.path,
            artifact.name,
            artifact.digest,
            key=(self, "preview"),
            on_done=self._on_loaded,
            on_failed=self._on_failed,
            on_progress=self._on_progress,
        )

    @property
    def artifact(self) -> ArtifactRef | None:
        """The artifact shown (or being read)."""
        return self._artifact

    def current_page(self) -> QWidget | None:
        return self.pages.currentWidget()

    def _message(self, text: str) -> None:
        self.message.setText(text)
        self.pages.setCurrentWidget(self.message)

    def _note(self, text: str) -> None:
        self.note_label.setText(text)
        self.note_label.setVisible(bool(text))

    def _on_progress(self, fraction: float, message: str) -> None:
        if message != FETCHING or self._artifact is None:
            return
        name = self._artifact.name
        if fraction <= 0.0:
            self._message(FETCHING_TEXT.format(name=name))
        else:
            self._message(FETCHING_PERCENT_TEXT.format(name=name, percent=int(fraction * 100)))

    def _on_failed(self, failure: Failure) -> None:
        self._message(str(failure))

    def _on_loaded(self, loaded: LoadedPreview) -> None:
        content = loaded.content
        self.content = content
        self._note(content.note)
        if content.kind == "image" and loaded.image is not None:
            self.image.set_image(loaded.image)
            self.pages.setCurrentWidget(self.image)
        elif content.kind == "svg":
            self._show_svg(content)
        elif content.kind in ("text", "json"):
            self.text.setPlainText(content.text)
            self.pages.setCurrentWidget(self.text)
        elif content.kind == "table" and content.table is not None:
            self.rows_model.set_preview(content.table)
            has_chart = self.chart.set_table(content.table)
            self.table_tabs.setTabEnabled(1, has_chart)
            self.table_tabs.setCurrentIndex(0)
            self.pages.setCurrentWidget(self.table_tabs)
        else:
            self._show_binary(content)

    def _show_svg(self, content: ArtifactContent) -> None:
        renderer = QSvgRenderer(QByteArray(content.data))
        if not renderer.isValid():
            self._message(f"{content.name} cannot be shown: it is not a valid SVG image.")
            return
        self.svg.load(QByteArray(content.data))
        self.svg.renderer().setAspectRatioMode(Qt.AspectRatioMode.KeepAspectRatio)
        self.pages.setCurrentWidget(self.svg)

    def _show_binary(self, content: ArtifactContent) -> None:
        digest = self._artifact.digest if self._artifact is not None else ""
        lines = [
            content.name,
            f"{human_bytes(content.size)} · {digest}",
            "",
            content.note
            or "No preview for this kind of file: use Open to see it in the system's viewer.",
        ]
        self._note("")
        self._message("\n".join(lines))
