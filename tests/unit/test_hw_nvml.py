"""tracking.nvml against a fake library: Python callables fill the ctypes arguments."""

from __future__ import annotations

import ctypes
import os
import time
from collections import Counter
from typing import Any

import pytest

from mlops_desktop.tracking import nvml
from mlops_desktop.tracking.energy import EnergyIntegrator
from mlops_desktop.tracking.nvml import open_nvml

NS = nvml.ERROR_NOT_SUPPORTED


class FakeLibrary:
    """NVML with the devices given as dicts (a missing figure answers NOT_SUPPORTED).

    Device keys: name, uuid, memory (total, used), util, power_mw, limit_mw, temperature,
    clocks {1: sm, 2: mem}, fan, energy_mj, procs [(pid, bytes)], samples [(pid, ts, sm)],
    migs [device, ...]. ``old_driver`` hides the ``_v3`` process calls.
    """

    def __init__(self, devices: list[dict[str, Any]], old_driver: bool = False) -> None:
        self.devices = devices
        self.by_handle: dict[int, dict[str, Any]] = {}
        self.calls: Counter[str] = Counter()
        self.old_driver = old_driver
        for i, dev in enumerate(devices):
            self._register(1000 + 100 * i, dev)

    def _register(self, handle: int, dev: dict[str, Any]) -> None:
        dev["handle"] = handle
        self.by_handle[handle] = dev
        for k, mig in enumerate(dev.get("migs", [])):
            self._register(handle + 1 + k, mig)

    def call(self, name: str, *args: Any) -> int:
        self.calls[name] += 1
        if self.old_driver and name.endswith("_v3"):
            return nvml.ERROR_FUNCTION_NOT_FOUND
        method = getattr(self, name.removesuffix("_v3").removesuffix("_v2"), None)
        if method is None:
            return nvml.ERROR_FUNCTION_NOT_FOUND
        if args and isinstance(args[0], ctypes.c_void_p):
            return method(self.by_handle[args[0].value], *args[1:])
        return method(*args)

    @staticmethod
    def _set(ref: Any, value: Any) -> int:
        if value is None:
            return NS
        ref._obj.value = value
        return nvml.SUCCESS

    def nvmlInit(self) -> int:
        return nvml.SUCCESS

    def nvmlShutdown(self) -> int:
        return nvml.SUCCESS

    def nvmlDeviceGetCount(self, count: Any) -> int:
        return self._set(count, len(self.devices))

    def nvmlDeviceGetHandleByIndex(self, index: Any, handle: Any) -> int:
        return self._set(handle, self.devices[index.value]["handle"])

    def nvmlDeviceGetName(self, dev: dict, buf: Any, _n: Any) -> int:
        buf.value = dev["name"].encode()
        return nvml.SUCCESS

    def nvmlDeviceGetUUID(self, dev: dict, buf: Any, _n: Any) -> int:
        buf.value = dev["uuid"].encode()
        return nvml.SUCCESS

    def nvmlDeviceGetMemoryInfo(self, dev: dict, mem: Any) -> int:
        mem._obj.total, mem._obj.used = dev["memory"]
        return nvml.SUCCESS

    def nvmlDeviceGetUtilizationRates(self, dev: dict, util: Any) -> int:
        if dev.get("util") is None:
            return NS
        util._obj.gpu = dev["util"]
        return nvml.SUCCESS

    def nvmlDeviceGetPowerUsage(self, dev: dict, out: Any) -> int:
        return self._set(out, dev.get("power_mw"))

    def nvmlDeviceGetEnforcedPowerLimit(self, dev: dict, out: Any) -> int:
        return self._set(out, dev.get("limit_mw"))

    def nvmlDeviceGetTemperature(self, dev: dict, _sensor: int, out: Any) -> int:
        return self._set(out, dev.get("temperature"))

    def nvmlDeviceGetClockInfo(self, dev: dict, kind: int, out: Any) -> int:
        return self._set(out, dev.get("clocks", {}).get(kind))

    def nvmlDeviceGetFanSpeed(self, dev: dict, out: Any) -> int:
        return self._set(out, dev.get("fan"))

    def nvmlDeviceGetTotalEnergyConsumption(self, dev: dict, out: Any) -> int:
        return self._set(out, dev.get("energy_mj"))

    def nvmlDeviceGetMigMode(self, dev: dict, current: Any, pending: Any) -> int:
        if "migs" not in dev:
            return NS
        current._obj.value = pending._obj.value = 1
        return nvml.SUCCESS

    def nvmlDeviceGetMaxMigDeviceCount(self, dev: dict, out: Any) -> int:
        return self._set(out, len(dev["migs"]) + 1)  # one empty slot

    def nvmlDeviceGetMigDeviceHandleByIndex(self, dev: dict, k: Any, out: Any) -> int:
        if k.value >= len(dev["migs"]):
            return nvml.ERROR_NOT_FOUND
        return self._set(out, dev["migs"][k.value]["handle"])

    def _processes(self, dev: dict, count: Any, array: Any) -> int:
        procs = dev.get("procs", [])
        if array is None:
            count._obj.value = len(procs)
            return nvml.ERROR_INSUFFICIENT_SIZE if procs else nvml.SUCCESS
        for i, (pid, used) in enumerate(procs):
            array[i].pid, array[i].usedGpuMemory = pid, used
        count._obj.value = len(procs)
        return nvml.SUCCESS

    nvmlDeviceGetComputeRunningProcesses = _processes

    def nvmlDeviceGetGraphicsRunningProcesses(self, dev: dict, count: Any, array: Any) -> int:
        count._obj.value = 0
        return nvml.SUCCESS

    def nvmlDeviceGetProcessUtilization(self, dev: dict, array: Any, count: Any, since: Any):
        if dev.get("samples") is None:
            return NS
        fresh = [s for s in dev["samples"] if s[1] > since.value]
        if not fresh:
            return nvml.ERROR_NOT_FOUND
        if array is None:
            count._obj.value = len(fresh)
            return nvml.ERROR_INSUFFICIENT_SIZE
        for i, (pid, ts, sm) in enumerate(fresh):
            array[i].pid, array[i].timeStamp, array[i].smUtil = pid, ts, sm
        count._obj.value = len(fresh)
        return nvml.SUCCESS


def volta(**over: Any) -> dict[str, Any]:
    dev = {
        "name": "Tesla V100",
        "uuid": "GPU-0",
        "memory": (16 << 30, 4 << 30),
        "util": 87,
        "power_mw": 250_500,
        "limit_mw": 300_000,
        "temperature": 64,
        "clocks": {1: 1380, 2: 877},
        "fan": None,
        "energy_mj": 5_000_000,
        "procs": [(4242, 3 << 30)],
        "samples": [(4242, 10, 80)],
    }
    dev.update(over)
    return dev


def test_one_gpu_with_every_figure_but_the_fan():
    lib = FakeLibrary([volta()])
    handle = open_nvml(lib)
    assert handle is not None
    (gpu,) = handle.read_gpus()
    assert gpu["name"] == "Tesla V100" and gpu["uuid"] == "GPU-0"
    assert (gpu["memory_total"], gpu["memory_used"]) == (16 << 30, 4 << 30)
    assert (gpu["util"], gpu["temperature"], gpu["power"]) == (87.0, 64.0, 250.5)
    assert (gpu["power_limit"], gpu["clock_sm"], gpu["clock_memory"]) == (300.0, 1380.0, 877.0)
    assert gpu["fan"] is None and gpu["unsupported"] == ["fan"]
    assert (gpu["energy_j"], gpu["energy_source"]) == (5000.0, "counter")
    assert gpu["mig"] is False and gpu["parent_index"] is None
    handle.read_gpus()
    assert lib.calls["nvmlDeviceGetFanSpeed"] == 1  # unsupported: not asked again
    assert lib.calls["nvmlDeviceGetPowerUsage"] == 2


def test_processes_and_their_sm_share():
    lib = FakeLibrary([volta()])
    handle = open_nvml(lib)
    assert handle is not None
    usage = handle.read_processes()
    assert usage == {4242: {"gpu_memory": 3 << 30, "gpus": [0], "sm_share": 80.0}}
    # no new sample since the last call: the process is on the GPU but used no SM
    assert handle.read_processes()[4242]["sm_share"] == 0.0
    lib.devices[0]["samples"].append((4242, 20, 55))
    assert handle.read_processes()[4242]["sm_share"] == 55.0


def test_older_drivers_use_the_v2_process_call():
    lib = FakeLibrary([volta()], old_driver=True)
    handle = open_nvml(lib)
    assert handle is not None
    assert handle.read_processes()[4242]["gpu_memory"] == 3 << 30
    handle.read_processes()
    assert lib.calls["nvmlDeviceGetComputeRunningProcesses_v3"] == 1  # tried once only
    assert lib.calls["nvmlDeviceGetComputeRunningProcesses_v2"] == 4


def test_no_energy_counter_integrates_power_and_no_process_utilisation():
    lib = FakeLibrary([volta(name="Tesla P100", energy_mj=None, samples=None)])
    handle = open_nvml(lib)
    assert handle is not None
    dev = handle.devices[0]
    first = handle.read_gpu(dev, now=100.0)
    assert (first["energy_j"], first["energy_source"]) == (0.0, "integrated")
    lib.devices[0]["power_mw"] = 150_500
    second = handle.read_gpu(dev, now=102.0)
    assert second["energy_j"] == pytest.approx((250.5 + 150.5) / 2 * 2)
    assert "energy" in second["unsupported"]
    assert handle.read_processes()[4242]["sm_share"] is None
    handle.read_processes()
    assert lib.calls["nvmlDeviceGetTotalEnergyConsumption"] == 1
    assert lib.calls["nvmlDeviceGetProcessUtilization"] == 1


def test_mig_devices_are_extra_gpus():
    mig = {"name": "MIG 3g.40gb", "uuid": "MIG-1", "memory": (40 << 30, 1 << 30)}
    mig["procs"] = [(77, 1 << 30)]
    lib = FakeLibrary([volta(name="A100", uuid="GPU-A", migs=[mig]), volta(uuid="GPU-1")])
    handle = open_nvml(lib)
    assert handle is not None
    gpus = handle.read_gpus()
    assert [(g["index"], g["mig"], g["parent_index"]) for g in gpus] == [
        (0, False, None),
        (1, False, None),
        (2, True, 0),
    ]
    assert gpus[2]["name"] == "MIG 3g.40gb" and gpus[2]["power"] is None
    assert {"power", "util", "energy"} <= set(gpus[2]["unsupported"])
    assert gpus[2]["energy_source"] is None
    usage = handle.read_processes()
    assert usage[77]["gpus"] == [2]  # from the MIG device, not its parent
    assert usage[4242]["gpus"] == [1]


def test_no_library_or_no_driver(monkeypatch):
    class Broken(FakeLibrary):
        def nvmlInit(self) -> int:
            return 9  # NVML_ERROR_DRIVER_NOT_LOADED

    assert open_nvml(Broken([])) is None
    monkeypatch.setattr(nvml, "LIBRARY", "libno-such-nvml.so.1")
    assert open_nvml() is None


def test_integrator_trapezoid_and_gaps():
    integ = EnergyIntegrator()
    assert integ.add("g", 0.0, 100.0) == 0.0
    assert integ.add("g", 1.0, 200.0) == pytest.approx(150.0)
    assert integ.add("g", 2.0, None) == pytest.approx(150.0)  # no reading: unchanged
    assert integ.add("g", 100.0, 200.0) == pytest.approx(150.0)  # a stall is not bridged
    assert integ.add("g", 101.0, 200.0) == pytest.approx(350.0)
    assert integ.add("other", 5.0, None) is None


FAKE_SMI = """#!/bin/sh
case "$1" in
  --query-compute-apps=*) echo "4242, 1024, GPU-aaa"; exit 0 ;;
esac
while true; do
  echo "0, NVIDIA A10, GPU-aaa, 35, 2048, 23028, 51, 61.25, 150.00, 1695, 6251, 0"
  echo "1, Tesla K80, GPU-bbb, [N/A], 10, 11441, 40, [Not Supported], [N/A], 562, 2505, [N/A]"
  sleep 0.05
done
"""


def test_nvidia_smi_lines_parse_with_unsupported_fields():
    from mlops_desktop.tracking.gpu_stats import parse_smi_line

    doc = parse_smi_line(
        "1, Tesla K80, GPU-b, [N/A], 10, 11441, 40, [Not Supported], [N/A], 5, 6, 7"
    )
    assert doc is not None
    assert (doc["name"], doc["uuid"], doc["util"], doc["power"]) == (
        "Tesla K80",
        "GPU-b",
        None,
        None,
    )
    assert doc["memory_used"] == 10 << 20 and doc["temperature"] == 40.0
    assert {"util", "power", "power_limit", "energy"} <= set(doc["unsupported"])
    assert parse_smi_line("garbage") is None


def test_streaming_nvidia_smi_without_nvml(tmp_path, monkeypatch):
    from mlops_desktop.tracking import gpu_stats

    smi = tmp_path / "nvidia-smi"
    smi.write_text(FAKE_SMI)
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    monkeypatch.delenv("MLOPS_DESKTOP_FAKE_GPUS", raising=False)
    monkeypatch.setattr(gpu_stats, "open_nvml", lambda: None)
    source = gpu_stats.open_gpu_source(stream=True, interval=0.1)
    assert source is not None and source.name == "nvidia-smi"
    try:
        deadline = time.monotonic() + 10
        while len(source.read().gpus) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.2)  # a few more lines: power to integrate
        reading = source.read()
    finally:
        source.close()
    a10, k80 = reading.gpus
    assert (a10["power"], a10["power_limit"], a10["clock_sm"]) == (61.25, 150.0, 1695.0)
    assert a10["energy_source"] == "integrated" and a10["energy_j"] > 0
    assert k80["energy_j"] is None and "power" in k80["unsupported"]
    assert reading.processes == {4242: {"gpu_memory": 1 << 30, "gpus": [0], "sm_share": None}}
