"""This machine's hardware now: CPU, memory, disks, network, GPUs and the processes that matter.

:class:`LocalSampler` is meant to be called about once a second. Rates (disk, network, process
CPU) are since the previous call. It reports the top ``max_processes`` processes by CPU and by
resident memory, every process using a GPU, and every process of a run (``MLOPS_DESKTOP_RUN_ID``
in its environment). GPUs come from NVML; with ``MLOPS_DESKTOP_FAKE_GPUS`` set, from fake ones
(``gpu_source`` "fake"), the same GPUs the launcher leases.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time

import psutil

from mlops_desktop.core.hardware import GpuSample, HostSample, ProcessSample
from mlops_desktop.monitoring import fake_nvml, proc_scan
from mlops_desktop.monitoring.leases import lease_holders
from mlops_desktop.monitoring.nvml_sampler import GpuProcessUse, NvmlSampler
from mlops_desktop.tracking import gpu_leases

LOCAL_HOST = "local"


def open_gpus() -> tuple[NvmlSampler | None, str | None]:
    """This machine's GPU sampler and its source: fake GPUs, NVML, or (None, None)."""
    spec = os.environ.get(gpu_leases.FAKE_GPUS_ENV)
    if spec is not None:
        fake = fake_nvml.from_fake_gpus_env(gpu_leases.fake_gpus(spec))
        return NvmlSampler(fake), "fake"
    sampler = NvmlSampler.open()
    return (sampler, "nvml") if sampler is not None else (None, None)


class LocalSampler:
    """Samples this machine (host "local").

    Args:
        nvml: the GPU sampler; None finds one (:func:`open_gpus`).
        lock_dir: the GPU lease lock directory (default: the launcher's).
        max_processes: how many processes to report by CPU, and by memory.
        gpu_source: the source named in samples when ``nvml`` is given.
    """

    def __init__(
        self,
        nvml: NvmlSampler | None = None,
        lock_dir: str | os.PathLike[str] | None = None,
        max_processes: int = 20,
        gpu_source: str = "nvml",
    ) -> None:
        if nvml is None:
            self.nvml, self.gpu_source = open_gpus()
        else:
            self.nvml, self.gpu_source = nvml, gpu_source
        self.lock_dir = lock_dir
        self.max_processes = max_processes
        self.hostname = socket.gethostname()
        self._details = proc_scan.DetailCache()
        self._cpu_before: dict[int, tuple[float, float]] = {}  # pid -> (start, cpu seconds)
        self._io_before: tuple[float, float, float, float, float] | None = None
        self._scanned_at: float | None = None
        self._tick = 0
        psutil.cpu_percent(percpu=True, interval=None)  # the first call primes the deltas

    def close(self) -> None:
        if self.nvml is not None:
            self.nvml.close()

    def sample(self) -> HostSample:
        now = time.time()
        per_core = tuple(psutil.cpu_percent(percpu=True, interval=None))
        memory = psutil.virtual_memory()
        swap = psutil.swap_memory()
        disk_read, disk_write, net_recv, net_sent = self._io_rates(time.monotonic())
        gpus: tuple[GpuSample, ...] = ()
        gpu_use: dict[int, GpuProcessUse] = {}
        if self.nvml is not None:
            gpus = self.nvml.sample()
            gpu_use = self.nvml.processes
        processes = self._processes(gpu_use)
        gpus = self._with_leases(gpus, processes)
        try:
            load: tuple[float, float, float] | None = os.getloadavg()
        except OSError:
            load = None
        return HostSample(
            host=LOCAL_HOST,
            time=now,
            cpu_percent=sum(per_core) / len(per_core) if per_core else None,
            cpu_per_core=per_core,
            load=load,
            memory_used=int(memory.total - memory.available),
            memory_total=int(memory.total),
            swap_used=int(swap.used),
            swap_total=int(swap.total),
            disk_read_bps=disk_read,
            disk_write_bps=disk_write,
            net_recv_bps=net_recv,
            net_sent_bps=net_sent,
            gpus=gpus,
            processes=processes,
            gpu_source=self.gpu_source if self.nvml is not None else None,
            hostname=self.hostname,
        )

    def _io_rates(self, now: float) -> tuple[float | None, ...]:
        try:
            disk = psutil.disk_io_counters()
            nics = psutil.net_io_counters(pernic=True)
        except (OSError, RuntimeError):
            return None, None, None, None
        recv = sum(n.bytes_recv for name, n in nics.items() if name != "lo")
        sent = sum(n.bytes_sent for name, n in nics.items() if name != "lo")
        read = float(disk.read_bytes) if disk else 0.0
        write = float(disk.write_bytes) if disk else 0.0
        before, self._io_before = self._io_before, (now, read, write, float(recv), float(sent))
        if before is None or now <= before[0]:
            return None, None, None, None
        dt = now - before[0]
        return tuple(
            max(0.0, (new - old) / dt) for new, old in zip(self._io_before[1:], before[1:])
        )

    def _processes(self, gpu_use: dict[int, GpuProcessUse]) -> tuple[ProcessSample, ...]:
        now = time.monotonic()
        stats = proc_scan.scan()
        dt = now - self._scanned_at if self._scanned_at is not None else None
        self._scanned_at = now
        cpu: dict[int, float | None] = {}
        before, self._cpu_before = self._cpu_before, {}
        for pid, stat in stats.items():
            self._cpu_before[pid] = (stat.start, stat.cpu_s)
            old = before.get(pid)
            if old is None or old[0] != stat.start or not dt:
                cpu[pid] = None  # new (or a reused pid): no rate yet
            else:
                cpu[pid] = max(0.0, (stat.cpu_s - old[1]) / dt * 100.0)
        keep = set(gpu_use)
        keep.update(p for p, s in stats.items() if self._details.env_run(s) is not None)
        n = self.max_processes
        keep.update(sorted((p for p in cpu if cpu[p]), key=lambda p: -(cpu[p] or 0.0))[:n])
        keep.update(sorted((p for p in stats if stats[p].rss), key=lambda p: -stats[p].rss)[:n])
        self._tick += 1
        if self._tick % 60 == 0:
            self._details.forget_gone(stats)
        return tuple(self._process(pid, stats.get(pid), cpu, gpu_use) for pid in sorted(keep))

    def _process(
        self,
        pid: int,
        stat: proc_scan.ProcStat | None,
        cpu: dict[int, float | None],
        gpu_use: dict[int, GpuProcessUse],
    ) -> ProcessSample:
        use = gpu_use.get(pid) or GpuProcessUse(None, (), None)
        if stat is None:  # a GPU process in another pid namespace, or one just gone
            return ProcessSample(
                pid, gpu_memory=use.gpu_memory, gpus=use.gpus, sm_share=use.sm_share
            )
        d = self._details.details(stat)
        return ProcessSample(
            pid=pid,
            user=d.user,
            command=d.command,
            cpu_percent=cpu.get(pid),
            rss=stat.rss,
            ppid=stat.ppid,
            gpu_memory=use.gpu_memory,
            gpus=use.gpus,
            sm_share=use.sm_share,
            env_run=d.env_run,
        )

    def _with_leases(
        self, gpus: tuple[GpuSample, ...], processes: tuple[ProcessSample, ...]
    ) -> tuple[GpuSample, ...]:
        if not gpus:
            return gpus
        holders = lease_holders(self.lock_dir)
        if not holders:
            return gpus
        users = {p.pid: p.user for p in processes}
        out = []
        for gpu in gpus:
            holder = holders.get(gpu.index) if not gpu.mig else None
            if holder is not None and holder.pid is not None:
                user = users.get(holder.pid) or self._details.user_of(holder.pid)
                holder = dataclasses.replace(holder, user=user or None)
            out.append(dataclasses.replace(gpu, lease=holder) if holder else gpu)
        return tuple(out)
