"""The Environment tab: Python, OS, CPU, GPUs, host and the installed packages."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from mlops_desktop.ui.formatting import count_noun
from mlops_desktop.ui.widgets import FilterableTable


def describe_python(value: Any) -> str:
    if isinstance(value, dict):
        parts = [value.get("implementation") or "Python", value.get("version") or "?"]
        exe = value.get("executable")
        return " ".join(str(p) for p in parts) + (f"  ({exe})" if exe else "")
    return "—" if value is None else str(value)


def describe_os(value: Any) -> str:
    if isinstance(value, dict):
        return str(
            value.get("platform")
            or " ".join(str(value.get(k, "")) for k in ("system", "release", "machine")).strip()
            or "—"
        )
    return "—" if value is None else str(value)


def describe_cpu(value: Any) -> str:
    if isinstance(value, dict):
        model = value.get("model") or "unknown CPU"
        logical = value.get("logical")
        return f"{model}, {count_noun(logical, 'logical core')}" if logical else str(model)
    return "—" if value is None else str(value)


def describe_gpus(value: Any) -> str:
    if not value:
        return "none found"
    if not isinstance(value, list):
        return str(value)
    lines = []
    for gpu in value:
        if isinstance(gpu, dict):
            memory = gpu.get("memory_total_mib")
            text = f"{gpu.get('index', '?')}: {gpu.get('name', 'GPU')}"
            if memory:
                text += f", {memory / 1024:.0f} GiB"
            if gpu.get("driver"):
                text += f", driver {gpu['driver']}"
            lines.append(text)
        else:
            lines.append(str(gpu))
    return "\n".join(lines)


def package_rows(value: Any) -> list[tuple[str, str]]:
    """Packages as (name, version) rows from a dict, or a list of ``name==version`` texts."""
    if isinstance(value, dict):
        return [(str(k), str(v)) for k, v in value.items()]
    rows = []
    if isinstance(value, list):
        for item in value:
            name, _, version = str(item).partition("==")
            rows.append((name, version))
    return rows


class EnvironmentView(QWidget):
    """Where a run ran."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        for key, title in (
            ("python", "Python:"),
            ("os", "OS:"),
            ("cpu", "CPU:"),
            ("gpus", "GPUs:"),
            ("host", "Host:"),
            ("argv", "Command line:"),
        ):
            label = QLabel("—")
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = label
            form.addRow(title, label)
        self.packages = FilterableTable(["Package", "Version"], "Filter packages")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.packages, 1)

    def set_env(self, env: dict[str, Any], host: str | None = None) -> None:
        self.fields["python"].setText(describe_python(env.get("python")))
        self.fields["os"].setText(describe_os(env.get("platform")))
        self.fields["cpu"].setText(describe_cpu(env.get("cpu")))
        self.fields["gpus"].setText(describe_gpus(env.get("gpus")))
        self.fields["host"].setText(str(env.get("hostname") or host or "—"))
        argv = env.get("argv")
        self.fields["argv"].setText(" ".join(map(str, argv)) if isinstance(argv, list) else "—")
        self.packages.set_rows(package_rows(env.get("packages")))
