"""One hardware sample of one machine, and its JSON document. No Qt, no SQL.

The same document travels three ways: the remote agent streams it as JSON lines, ``hw --json``
prints it, and the Monitors pane draws it. Units: bytes for memory, percent for utilisation
(a process's ``cpu_percent`` is of one core, like ``top``; a host's is of all cores), watts,
degrees Celsius, MHz, joules. A figure the hardware does not report is ``None`` (and the GPU
lists the query in ``unsupported``), never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ENERGY_COUNTER = "counter"  # NVML's total-energy counter (Volta and newer)
ENERGY_INTEGRATED = "integrated"  # power integrated over time by the sampler


@dataclass(frozen=True, slots=True)
class GpuLeaseHolder:
    """Who holds a GPU's lease: the run, the launcher's pid, its user and since when."""

    run: str
    pid: int | None = None
    user: str | None = None
    since: float | None = None


@dataclass(frozen=True, slots=True)
class GpuSample:
    """One GPU (or MIG device) now.

    Attributes:
        energy_j: joules: NVML's counter (since the driver loaded) when ``energy_source`` is
            "counter", else power integrated since the sampler started ("integrated").
            Consumers use differences, never the absolute value.
        parent_index: for a MIG device, the index of the physical GPU it belongs to.
        unsupported: queries this GPU does not answer ("power", "energy", "fan", ...).
    """

    index: int
    name: str
    uuid: str | None = None
    util: float | None = None
    memory_used: int | None = None
    memory_total: int | None = None
    temperature: float | None = None
    power: float | None = None
    power_limit: float | None = None
    clock_sm: float | None = None
    clock_memory: float | None = None
    fan: float | None = None
    energy_j: float | None = None
    energy_source: str | None = None
    mig: bool = False
    parent_index: int | None = None
    unsupported: tuple[str, ...] = ()
    lease: GpuLeaseHolder | None = None


@dataclass(frozen=True, slots=True)
class ProcessSample:
    """One process now; ``run`` is the run it belongs to, when the app knows it.

    Attributes:
        cpu_percent: percent of one core (200 = two cores busy).
        rss: resident memory, bytes.
        gpu_memory: GPU memory over all GPUs, bytes (None: uses no GPU).
        gpus: indices of the GPUs it uses.
        sm_share: its share of the GPUs' streaming multiprocessors, percent (None: unknown).
        env_run: the run id found in its environment (``MLOPS_DESKTOP_RUN_ID``), if readable.
    """

    pid: int
    user: str = ""
    command: str = ""
    cpu_percent: float | None = None
    rss: int | None = None
    ppid: int | None = None
    gpu_memory: int | None = None
    gpus: tuple[int, ...] = ()
    sm_share: float | None = None
    env_run: str | None = None
    run: str | None = None


@dataclass(frozen=True, slots=True)
class HostSample:
    """One machine at one moment.

    Attributes:
        host: the name the app knows it by ("local", an SSH host's name, "slurm:C/node").
        time: Unix time of the sample (taken on that machine).
        cpu_percent: all cores, 0-100.
        load: 1, 5 and 15 minute load averages.
        disk_read_bps, ...: rates since the previous sample, bytes per second.
        gpu_source: where the GPU figures came from: "nvml", "nvidia-smi", "fake", "demo" or
            None (no GPU).
        demo: recorded demo data, not this machine.
    """

    host: str
    time: float
    cpu_percent: float | None = None
    cpu_per_core: tuple[float, ...] = ()
    load: tuple[float, float, float] | None = None
    memory_used: int | None = None
    memory_total: int | None = None
    swap_used: int | None = None
    swap_total: int | None = None
    disk_read_bps: float | None = None
    disk_write_bps: float | None = None
    net_recv_bps: float | None = None
    net_sent_bps: float | None = None
    gpus: tuple[GpuSample, ...] = ()
    processes: tuple[ProcessSample, ...] = ()
    gpu_source: str | None = None
    hostname: str | None = None
    demo: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


def _pair(doc: Any, a: str, b: str) -> tuple[int | None, int | None]:
    if not isinstance(doc, dict):
        return None, None
    return _int(doc.get(a)), _int(doc.get(b))


def _rates(doc: Any, a: str, b: str) -> tuple[float | None, float | None]:
    if not isinstance(doc, dict):
        return None, None
    return _num(doc.get(a)), _num(doc.get(b))


def gpu_document(gpu: GpuSample) -> dict[str, Any]:
    lease = gpu.lease
    return {
        "index": gpu.index,
        "name": gpu.name,
        "uuid": gpu.uuid,
        "util": gpu.util,
        "memory_used": gpu.memory_used,
        "memory_total": gpu.memory_total,
        "temperature": gpu.temperature,
        "power": gpu.power,
        "power_limit": gpu.power_limit,
        "clock_sm": gpu.clock_sm,
        "clock_memory": gpu.clock_memory,
        "fan": gpu.fan,
        "energy_j": gpu.energy_j,
        "energy_source": gpu.energy_source,
        "mig": gpu.mig,
        "parent_index": gpu.parent_index,
        "unsupported": list(gpu.unsupported),
        "lease": None
        if lease is None
        else {"run": lease.run, "pid": lease.pid, "user": lease.user, "since": lease.since},
    }


def process_document(proc: ProcessSample) -> dict[str, Any]:
    return {
        "pid": proc.pid,
        "user": proc.user,
        "command": proc.command,
        "cpu_percent": proc.cpu_percent,
        "rss": proc.rss,
        "ppid": proc.ppid,
        "gpu_memory": proc.gpu_memory,
        "gpus": list(proc.gpus),
        "sm_share": proc.sm_share,
        "env_run": proc.env_run,
        "run": proc.run,
    }


def host_document(sample: HostSample) -> dict[str, Any]:
    """The JSON document of ``hw --json`` (and of one agent line)."""
    return {
        "host": sample.host,
        "time": sample.time,
        "hostname": sample.hostname,
        "cpu_percent": sample.cpu_percent,
        "cpu_per_core": list(sample.cpu_per_core),
        "load": list(sample.load) if sample.load is not None else None,
        "memory": {"used": sample.memory_used, "total": sample.memory_total},
        "swap": {"used": sample.swap_used, "total": sample.swap_total},
        "disk": {"read_bps": sample.disk_read_bps, "write_bps": sample.disk_write_bps},
        "net": {"recv_bps": sample.net_recv_bps, "sent_bps": sample.net_sent_bps},
        "gpu_source": sample.gpu_source,
        "demo": sample.demo,
        "gpus": [gpu_document(g) for g in sample.gpus],
        "processes": [process_document(p) for p in sample.processes],
    }


def gpu_from_document(doc: dict[str, Any]) -> GpuSample:
    lease = doc.get("lease")
    holder = None
    if isinstance(lease, dict) and isinstance(lease.get("run"), str):
        holder = GpuLeaseHolder(
            run=lease["run"],
            pid=_int(lease.get("pid")),
            user=lease.get("user") if isinstance(lease.get("user"), str) else None,
            since=_num(lease.get("since")),
        )
    unsupported = doc.get("unsupported")
    return GpuSample(
        index=_int(doc.get("index")) or 0,
        name=str(doc.get("name") or "GPU"),
        uuid=doc.get("uuid") if isinstance(doc.get("uuid"), str) else None,
        util=_num(doc.get("util")),
        memory_used=_int(doc.get("memory_used")),
        memory_total=_int(doc.get("memory_total")),
        temperature=_num(doc.get("temperature")),
        power=_num(doc.get("power")),
        power_limit=_num(doc.get("power_limit")),
        clock_sm=_num(doc.get("clock_sm")),
        clock_memory=_num(doc.get("clock_memory")),
        fan=_num(doc.get("fan")),
        energy_j=_num(doc.get("energy_j")),
        energy_source=doc.get("energy_source")
        if doc.get("energy_source") in (ENERGY_COUNTER, ENERGY_INTEGRATED)
        else None,
        mig=bool(doc.get("mig", False)),
        parent_index=_int(doc.get("parent_index")),
        unsupported=tuple(str(u) for u in unsupported) if isinstance(unsupported, list) else (),
        lease=holder,
    )


def process_from_document(doc: dict[str, Any]) -> ProcessSample:
    gpus = doc.get("gpus")
    return ProcessSample(
        pid=_int(doc.get("pid")) or 0,
        user=str(doc.get("user") or ""),
        command=str(doc.get("command") or ""),
        cpu_percent=_num(doc.get("cpu_percent")),
        rss=_int(doc.get("rss")),
        ppid=_int(doc.get("ppid")),
        gpu_memory=_int(doc.get("gpu_memory")),
        gpus=tuple(int(g) for g in gpus if isinstance(g, int)) if isinstance(gpus, list) else (),
        sm_share=_num(doc.get("sm_share")),
        env_run=doc.get("env_run") if isinstance(doc.get("env_run"), str) else None,
        run=doc.get("run") if isinstance(doc.get("run"), str) else None,
    )


def host_from_document(doc: dict[str, Any], host: str | None = None) -> HostSample:
    """A sample from its document (an agent line, with ``host`` given by the app).

    Raises:
        ValueError: ``doc`` is not a sample document (no ``time``).
    """
    if not isinstance(doc, dict) or _num(doc.get("time")) is None:
        raise ValueError("not a hardware sample: it has no time")
    memory_used, memory_total = _pair(doc.get("memory"), "used", "total")
    swap_used, swap_total = _pair(doc.get("swap"), "used", "total")
    disk_read, disk_write = _rates(doc.get("disk"), "read_bps", "write_bps")
    net_recv, net_sent = _rates(doc.get("net"), "recv_bps", "sent_bps")
    load = doc.get("load")
    cores = doc.get("cpu_per_core")
    return HostSample(
        host=host or str(doc.get("host") or "local"),
        time=float(doc["time"]),
        cpu_percent=_num(doc.get("cpu_percent")),
        cpu_per_core=tuple(float(c) for c in cores if _num(c) is not None)
        if isinstance(cores, list)
        else (),
        load=(float(load[0]), float(load[1]), float(load[2]))
        if isinstance(load, list) and len(load) == 3 and all(_num(v) is not None for v in load)
        else None,
        memory_used=memory_used,
        memory_total=memory_total,
        swap_used=swap_used,
        swap_total=swap_total,
        disk_read_bps=disk_read,
        disk_write_bps=disk_write,
        net_recv_bps=net_recv,
        net_sent_bps=net_sent,
        gpus=tuple(gpu_from_document(g) for g in doc.get("gpus") or [] if isinstance(g, dict)),
        processes=tuple(
            process_from_document(p) for p in doc.get("processes") or [] if isinstance(p, dict)
        ),
        gpu_source=doc.get("gpu_source") if isinstance(doc.get("gpu_source"), str) else None,
        hostname=doc.get("hostname") if isinstance(doc.get("hostname"), str) else None,
        demo=bool(doc.get("demo", False)),
    )


HOST_STATES = ("connecting", "live", "unreachable", "stopped")


@dataclass(frozen=True, slots=True)
class HostUpdate:
    """What a watched machine reported at one tick.

    Attributes:
        host: the machine's name in the app (see :class:`HostSample`).
        time: when the update was made (the app's clock).
        sample: the sample, or None when none came in time (a gap: draw it as a gap).
        problem: why no sample came, one sentence a person can act on (ssh's own error line,
            "no answer for 5 s", ...); None while the machine answers.
        state: "connecting", "live", "unreachable" (retrying with backoff) or "stopped".
    """

    host: str
    time: float
    sample: HostSample | None = None
    problem: str | None = None
    state: str = "live"


def sample_series(sample: HostSample) -> dict[str, float]:
    """The figures of a sample as named series, for charts and stored history.

    Keys: ``cpu`` (%), ``memory`` and ``swap`` (bytes used), ``memory_total``, ``load1``,
    ``disk.read``, ``disk.write``, ``net.recv``, ``net.sent`` (bytes/s), and per GPU ``gpuI.util``
    (%), ``gpuI.memory`` (bytes used), ``gpuI.memory_total``, ``gpuI.power`` (W),
    ``gpuI.temperature`` (degrees C), ``gpuI.clock_sm`` (MHz), ``gpuI.fan`` (%), ``gpuI.energy``
    (J, the counter or integral as reported). Figures the machine did not report are absent.
    """
    values: dict[str, float | int | None] = {
        "cpu": sample.cpu_percent,
        "memory": sample.memory_used,
        "memory_total": sample.memory_total,
        "swap": sample.swap_used,
        "load1": sample.load[0] if sample.load else None,
        "disk.read": sample.disk_read_bps,
        "disk.write": sample.disk_write_bps,
        "net.recv": sample.net_recv_bps,
        "net.sent": sample.net_sent_bps,
    }
    for gpu in sample.gpus:
        p = f"gpu{gpu.index}."
        values[p + "util"] = gpu.util
        values[p + "memory"] = gpu.memory_used
        values[p + "memory_total"] = gpu.memory_total
        values[p + "power"] = gpu.power
        values[p + "temperature"] = gpu.temperature
        values[p + "clock_sm"] = gpu.clock_sm
        values[p + "fan"] = gpu.fan
        values[p + "energy"] = gpu.energy_j
    return {k: float(v) for k, v in values.items() if v is not None}


@dataclass(frozen=True, slots=True)
class MonitoredHost:
    """A machine the Monitors pane and ``hw --all`` watch.

    Attributes:
        name: "local", an SSH host's name, or "slurm:CLUSTER/NODE".
        kind: "local", "ssh" or "slurm".
        address: the SSH address, or the login host of a Slurm node.
        detail: what a person needs to know about it ("node of job 42 (run abc)", ...).
    """

    name: str
    kind: str
    address: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class StoredBucket:
    """One minute of one machine's history, as kept in the catalog.

    Attributes:
        values: per series key (see :func:`sample_series`): (min, mean, max, count).
    """

    host: str
    start: float
    values: dict[str, tuple[float, float, float, int]]


@dataclass(frozen=True, slots=True)
class RunProcess:
    """A running run's own process, as its tracking client recorded it (runs started by hand).

    Attributes:
        host: the machine's host name (``socket.gethostname()`` where the script ran).
    """

    run_id: str
    name: str
    host: str
    pid: int


SYSTEM_PREFIX = "sys/"  # the launcher's and the tracking client's hardware metrics of a run
ENERGY_SOURCE_TAG = "sys.energy_source"


@dataclass(frozen=True, slots=True)
class RunSystemMetrics:
    """The hardware a run used, kept apart from its own metrics.

    Attributes:
        series: per ``sys/`` key, (Unix times, values) as numpy arrays.
        energy_j: the run's GPU energy (the last ``sys/energy_j``), None when not measured.
        energy_source: "counter" or "integrated" (the ``sys.energy_source`` tag), or None.
    """

    run_id: str
    started_at: float | None
    series: dict[str, tuple[Any, Any]]
    energy_j: float | None = None
    energy_source: str | None = None
