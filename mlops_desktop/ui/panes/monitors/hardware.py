"""The Hardware tab: a card per machine, the chosen machine's charts and processes, live.

Updates come from the hardware service's worker threads through an :class:`UpdateBridge`; each
batch goes into the machines' :class:`HostHistory` and costs one repaint per machine. Cards and
charts of a hidden tab are not redrawn; they catch up when it shows again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.hardware import HostSample, HostUpdate, MonitoredHost, StoredBucket
from mlops_desktop.monitoring.history import HostHistory
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.navigation import Navigator
from mlops_desktop.ui.panes.monitors.bridge import UpdateBridge
from mlops_desktop.ui.panes.monitors.cards import CARD_WIDTH, CardGrid, HostCard
from mlops_desktop.ui.panes.monitors.detail import DAY, RANGES, HostDetail
from mlops_desktop.ui.panes.monitors.source import HardwareSource, HardwareWatchHandle
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import EmptyState

INTERVALS = (0.5, 1.0, 2.0, 5.0)
NO_HOSTS_HTML = (
    "<h2>No machines to watch</h2><p>This computer, your SSH hosts and the Slurm nodes of "
    "running jobs show here live. Add an SSH host with <b>Hosts…</b>, or launch a run with "
    "<b>Launch…</b> (Ctrl+L).</p>"
)


def _hosts(source: HardwareSource, *, state: TaskState) -> list[MonitoredHost]:
    return source.hosts()


def _stored(
    source: HardwareSource, host: str, since: float, *, state: TaskState
) -> list[StoredBucket]:
    return source.stored_history(host, since)


class HardwareView(QWidget):
    """See the module docstring.

    Signals:
        updatesShown(int): a batch of that many updates was taken in (tests, benchmarks).
        hostSelected(str): the machine shown in the detail changed.
    """

    updatesShown = Signal(int)
    hostSelected = Signal(str)

    def __init__(
        self,
        source: HardwareSource | None,
        runner: TaskRunner,
        navigator: Navigator,
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._source = source
        self._runner = runner
        self._navigator = navigator
        self._clock = clock
        self.watch: HardwareWatchHandle | None = None
        self.histories: dict[str, HostHistory] = {}
        self.latest: dict[str, HostSample] = {}
        self.cards: dict[str, HostCard] = {}
        self.selected: str | None = None
        self._pending_host: str | None = None  # asked for before its card was listed
        self._dirty: set[str] = set()
        self.bridge = UpdateBridge(self)
        self.detail = HostDetail()
        self.grid = CardGrid()
        self._build()
        self.bridge.updatesArrived.connect(self.take_updates)
        self.detail.rangeChanged.connect(self._on_range_changed)
        self.detail.runRequested.connect(self._navigator.show_run)
        self.interval_combo.currentIndexChanged.connect(self._on_interval_changed)

    def _build(self) -> None:
        self.toolbar = QToolBar()
        hosts = self.toolbar.addAction("Hosts…")
        hosts.setToolTip("Add or edit SSH hosts and clusters to watch")
        hosts.triggered.connect(lambda _=False: self._navigator.open_hosts_dialog())
        self.toolbar.addSeparator()
        self.toolbar.addWidget(QLabel(" Sample every "))
        self.interval_combo = QComboBox()
        for seconds in INTERVALS:
            self.interval_combo.addItem(f"{seconds:g} s", seconds)
        self.interval_combo.setCurrentIndex(INTERVALS.index(1.0))
        self.toolbar.addWidget(self.interval_combo)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        self.count_label = QLabel()
        self.count_label.setContentsMargins(4, 0, 8, 0)
        self.toolbar.addWidget(self.count_label)
        self.card_scroll = QScrollArea()
        self.card_scroll.setWidgetResizable(True)
        self.card_scroll.setWidget(self.grid)
        self.card_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.card_scroll.setMinimumWidth(CARD_WIDTH + 30)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.card_scroll)
        self.split.addWidget(self.detail)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([CARD_WIDTH + 30, 800])
        self.empty = EmptyState(NO_HOSTS_HTML)
        hosts_button = QPushButton("Hosts…")
        hosts_button.clicked.connect(lambda: self._navigator.open_hosts_dialog())
        self.launch_button = QPushButton("Launch…")
        self.launch_button.clicked.connect(lambda: self._navigator.open_launch_dialog())
        self.empty.add_buttons(hosts_button, self.launch_button)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.split)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.stack, 1)
        self._update_count()

    # --- public --------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.watch is not None

    def start(self) -> None:
        """List the machines, then watch them (nothing to do without a hardware service)."""
        if self._source is None or self.watch is not None:
            return
        self.bridge.reopen()
        self.watch = self._source.watch(self.bridge.post, self.interval())
        self.refresh_hosts()

    def stop(self) -> None:
        """Stop the watch; what is drawn stays."""
        self.bridge.close()
        if self.watch is not None:
            self.watch.stop()
            self.watch = None

    def refresh_hosts(self) -> None:
        if self._source is None:
            return
        self._runner.submit(
            _hosts,
            self._source,
            key=(self, "hosts"),
            on_done=self.set_hosts,
            on_failed=self._on_failed,
        )

    def interval(self) -> float:
        return float(self.interval_combo.currentData())

    def set_hosts(self, hosts: list[MonitoredHost]) -> None:
        """Show a card per machine (cards of machines that report keep theirs)."""
        for host in hosts:
            card = self.cards.get(host.name)
            if card is None or card.host != host:
                self._add_card(host)
        order = [h.name for h in hosts]  # the service's order: this machine first
        self.cards = {n: self.cards[n] for n in order if n in self.cards} | {
            n: c for n, c in self.cards.items() if n not in order
        }
        self._show_cards()

    def select_host(self, name: str) -> None:
        """Show ``name`` in the detail; a machine not listed yet is shown once it is."""
        card = self.cards.get(name)
        if card is None:
            self._pending_host = name
            return
        self._pending_host = None
        if self.selected in self.cards:
            self.cards[self.selected].set_selected(False)
        self.selected = name
        card.set_selected(True)
        self.detail.set_host(name, card.host.detail or card.host.address)
        if self.detail.range_combo.currentIndex() == DAY:
            self._load_stored(name)
        self._redraw_detail(self.latest.get(name))
        self.hostSelected.emit(name)

    def take_updates(self, batch: list[HostUpdate]) -> None:
        """Put a batch of updates into the histories; repaint each machine once."""
        touched: dict[str, HostUpdate] = {}
        new_sample: dict[str, HostSample] = {}
        for update in batch:
            history = self._history(update.host)
            if update.sample is not None:
                history.add(update.sample)
                self.latest[update.host] = update.sample
                new_sample[update.host] = update.sample
            elif len(history):
                history.add_gap(update.time)
            touched[update.host] = update
        added = False
        for update in batch:
            card = self.cards.get(update.host)
            if card is None:
                kind = "local" if update.host == "local" else "ssh"
                card = self._add_card(MonitoredHost(update.host, kind))
                added = True
            if update.sample is not None:
                card.track(update.sample)
        for host, update in touched.items():
            self.cards[host].set_state(update.state, update.problem)
        if added:
            self._show_cards()
        if self.isVisible():
            for host in touched:
                self._redraw(host, new_sample.get(host))
        else:
            self._dirty.update(touched)
        self.updatesShown.emit(len(batch))

    def redraw_all(self) -> None:
        """Repaint every card and the detail (after a theme change, or when shown)."""
        for host in list(self.cards):
            self._redraw(host, self.latest.get(host))
        self._dirty.clear()

    # --- internals -----------------------------------------------------------------------
    def _history(self, host: str) -> HostHistory:
        history = self.histories.get(host)
        if history is None:
            history = self.histories[host] = HostHistory()
        return history

    def _add_card(self, host: MonitoredHost) -> HostCard:
        old = self.cards.get(host.name)
        card = HostCard(host)
        card.clicked.connect(self.select_host)
        if old is not None:
            card.set_state(old.state, old.problem)
        self.cards[host.name] = card
        return card

    def _show_cards(self) -> None:
        self.grid.set_cards(list(self.cards.values()))
        self.stack.setCurrentWidget(self.split if self.cards else self.empty)
        self._update_count()
        if self._pending_host in self.cards:
            self.select_host(self._pending_host)
        elif self.selected is None and self.cards:
            self.select_host(next(iter(self.cards)))

    def _update_count(self) -> None:
        n = len(self.cards)
        self.count_label.setText("" if n == 0 else f"{n} machine{'s' if n != 1 else ''}")

    def _redraw(self, host: str, sample: HostSample | None) -> None:
        card = self.cards.get(host)
        history = self.histories.get(host)
        if card is None or history is None:
            return
        card.show_sample(history, sample or (self.latest.get(host) if not len(history) else None))
        if host == self.selected:
            self._redraw_detail(sample)

    def _redraw_detail(self, sample: HostSample | None) -> None:
        if self.selected is None:
            return
        history = self._history(self.selected)
        self.detail.show_history(history, sample)

    def _load_stored(self, host: str) -> None:
        if self._source is None:
            return
        since = self._clock() - RANGES[DAY][1]
        self._runner.submit(
            _stored,
            self._source,
            host,
            since,
            key=(self, "stored"),
            on_done=lambda buckets: self._on_stored(host, buckets),
            on_failed=self._on_failed,
            label=f"Loading the day of {host}",
        )

    def _on_stored(self, host: str, buckets: list[StoredBucket]) -> None:
        self._history(host).merge_stored(buckets)
        if host == self.selected:
            self._redraw_detail(None)

    def _on_failed(self, failure: Failure) -> None:
        self.count_label.setText(str(failure))

    def _on_range_changed(self, index: int) -> None:
        if index == DAY and self.selected is not None:
            self._load_stored(self.selected)
        self._redraw_detail(None)

    def _on_interval_changed(self, _index: int) -> None:
        if self.watch is not None:
            self.watch.set_interval(self.interval())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty:
            self.redraw_all()
