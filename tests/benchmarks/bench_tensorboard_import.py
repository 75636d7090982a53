"""How fast TensorBoard logs come in: ``python tests/benchmarks/bench_tensorboard_import.py``.

Writes event files holding ``--scalars`` scalars (default 1,200,000) over ``--runs`` folders
and ``--tags`` tags, half of the runs as TF1 / PyTorch ``simple_value`` scalars and half as TF2
tensor scalars, then prints, as the median of ``--repeats`` runs (default 3) with every record's
CRC32C checked:

- *read*: the event files framed, checked and decoded (what TensorBoard's own reader does);
- *import*: ``import_tensorboard`` into a fresh catalog (reading plus writing the runs).

The target is 150,000 scalars a second for the import. With ``--peer-python PY`` (a Python that
has ``tensorboard`` installed; default ``$TENSORBOARD_PYTHON``, else this one when it has it),
TensorBoard's ``EventAccumulator`` reads the same files, and its figure is printed beside ours.
``--profile`` prints a pyinstrument profile of one import instead.
"""

from __future__ import annotations

import argparse
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGET_PER_S = 150_000
WALL_T0 = 1_700_000_000.0

PEER_SCRIPT = r"""
import sys, time
from tensorboard.backend.event_processing import event_accumulator as ea
start, cpu = time.perf_counter(), time.process_time()
count = 0
for folder in sys.argv[1:]:
    acc = ea.EventAccumulator(folder, size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
    acc.Reload()
    tags = acc.Tags()
    count += sum(len(acc.Scalars(t)) for t in tags["scalars"])
    count += sum(len(acc.Tensors(t)) for t in tags["tensors"])
print(count, time.perf_counter() - start, time.process_time() - cpu)
"""


def _crc_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.uint32)
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table[byte] = crc
    return table


_TABLE = _crc_table()


def masked_crcs(rows: np.ndarray) -> np.ndarray:
    """Masked CRC32C of each row of a (records, length) uint8 array (the writer's own code, not
    the reader's, so the reader's check is tested against an independent one)."""
    crc = np.full(rows.shape[0], 0xFFFFFFFF, dtype=np.uint32)
    for column in rows.T:
        crc = _TABLE[(crc ^ column) & 0xFF] ^ (crc >> 8)
    crc ^= np.uint32(0xFFFFFFFF)
    return ((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(0xA282EAD8)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | 0x80 if value else byte)
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _event(step: int, tag: bytes, value: float, tf2: bool) -> bytes:
    if tf2:  # tf.summary.scalar: a float tensor with an empty shape
        tensor = b"\x08\x01" + _field(2, b"") + _field(5, struct.pack("<f", value))
        summary_value = _field(1, tag) + _field(8, tensor)
    else:
        summary_value = _field(1, tag) + b"\x15" + struct.pack("<f", value)
    head = b"\x09" + struct.pack("<d", WALL_T0 + step * 0.01) + b"\x10" + _varint(step)
    return head + _field(5, _field(1, summary_value))


def _framed(datas: list[bytes]) -> bytes:
    """TFRecords of ``datas``, their CRCs computed a length at a time."""
    lengths = np.array([len(d) for d in datas], dtype="<u8")
    length_crcs = masked_crcs(lengths.view(np.uint8).reshape(-1, 8))
    data_crcs = np.zeros(len(datas), dtype="<u4")
    for length in np.unique(lengths):
        index = np.flatnonzero(lengths == length)
        rows = np.frombuffer(b"".join(datas[i] for i in index), np.uint8).reshape(-1, int(length))
        data_crcs[index] = masked_crcs(rows)
    parts = []
    for data, length, lcrc, dcrc in zip(datas, lengths.tolist(), length_crcs, data_crcs):
        parts.append(struct.pack("<QI", length, int(lcrc)) + data + struct.pack("<I", int(dcrc)))
    return b"".join(parts)


def write_logs(logs: Path, scalars: int, runs: int, tags: int) -> list[Path]:
    """``scalars`` scalars over ``runs`` folders; returns the folders."""
    folders = []
    per_run = scalars // runs
    steps = per_run // tags
    rng = np.random.default_rng(0)
    for r in range(runs):
        folder = logs / f"run{r:02d}"
        folder.mkdir(parents=True)
        tf2 = r % 2 == 1
        names = [f"train/metric_{t}".encode() for t in range(tags)]
        values = rng.random((steps, tags)).astype(np.float32).tolist()
        datas = [b"\x09" + struct.pack("<d", WALL_T0) + _field(3, b"brain.Event:2")]
        datas += [_event(s, names[t], values[s][t], tf2) for s in range(steps) for t in range(tags)]
        suffix = ".v2" if tf2 else ""
        (folder / f"events.out.tfevents.{1000 + r}.bench{suffix}").write_bytes(_framed(datas))
        folders.append(folder)
    return folders


def check_writer(folder: Path) -> None:
    """The writer's CRCs agree with the reader's byte-by-byte CRC32C (one file)."""
    from mlops_desktop.services.tensorboard_records import crc32c, masked

    data = next(folder.iterdir()).read_bytes()[:4096]
    length = struct.unpack_from("<Q", data)[0]
    assert struct.unpack_from("<I", data, 8)[0] == masked(crc32c(data[:8]))
    stored = struct.unpack_from("<I", data, 12 + length)[0]
    assert stored == masked(crc32c(data[12 : 12 + length]))


Timing = tuple[int, float, float]  # scalars, wall-clock seconds, CPU seconds


def time_read(folders: list[Path]) -> Timing:
    """Framing, checking and decoding every event file."""
    from mlops_desktop.services.tensorboard_decoder import EventDecoder
    from mlops_desktop.services.tensorboard_records import read_record_blocks

    start, cpu = time.perf_counter(), time.process_time()
    count = 0
    for folder in folders:
        decoder = EventDecoder()
        for path in sorted(folder.iterdir()):
            for block in read_record_blocks(str(path), 0, str(path)):
                decoded, bad = decoder.decode_block(block.records)
                assert not block.problems and not bad, block.problems[:3]
                count += decoded.count
    return count, time.perf_counter() - start, time.process_time() - cpu


def time_import(logs: Path, home: Path) -> Timing:
    """``import_tensorboard`` into a fresh catalog in ``home``."""
    from mlops_desktop.services.bundle import Services
    from mlops_desktop.services.tensorboard_import import import_tensorboard

    with Services.open(home) as services:
        start, cpu = time.perf_counter(), time.process_time()
        report = import_tensorboard(services.catalog, logs, "bench")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert not report.problems, report.problems[:3]
    return report.metrics_points, seconds, cpu


def time_peer(python: str, folders: list[Path]) -> Timing | None:
    """TensorBoard's EventAccumulator on the same files, or None without tensorboard."""
    try:
        out = subprocess.run(
            [python, "-c", PEER_SCRIPT, *map(str, folders)],
            capture_output=True,
            text=True,
            timeout=1800,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        stderr = getattr(exc, "stderr", "") or ""
        if "No module named" not in stderr:
            print(f"tensorboard: failed ({stderr.strip().splitlines()[-1:] or exc})")
        return None
    count, seconds, cpu = out.stdout.split()[-3:]
    return int(count), float(seconds), float(cpu)


def profile(logs: Path, home: Path) -> None:
    from pyinstrument import Profiler

    profiler = Profiler()
    profiler.start()
    time_import(logs, home)
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scalars", type=int, default=1_200_000)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--tags", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--peer-python",
        default=os.environ.get("TENSORBOARD_PYTHON", sys.executable),
        help="a Python with tensorboard installed (default: $TENSORBOARD_PYTHON, else this one)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["MLOPS_DESKTOP_HOME"] = str(root / "home")
        start = time.perf_counter()
        folders = write_logs(root / "logs", args.scalars, args.runs, args.tags)
        check_writer(folders[0])
        size = sum(p.stat().st_size for f in folders for p in f.iterdir())
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
        print(
            f"event files         {size / 1e6:8.1f} MB, {args.runs} runs x {args.tags} tags"
            f" (TF1 simple_value and TF2 tensors), written in {time.perf_counter() - start:.1f} s"
        )
        if args.profile:
            profile(root / "logs", root / "profile-home")
            return 0
        reads = [time_read(folders) for _ in range(args.repeats)]
        imports = [time_import(root / "logs", root / f"home{i}") for i in range(args.repeats)]
        peer = time_peer(args.peer_python, folders)
    count = reads[0][0]
    assert all(t[0] == count for t in reads + imports), "every pass reads every scalar"
    rates = {}
    for label, timings in (("read (CRC checked) ", reads), ("import into catalog", imports)):
        wall = statistics.median(t[1] for t in timings)
        cpu = statistics.median(t[2] for t in timings)
        rates[label] = (count / wall, count / cpu)
        print(
            f"{label} {count / wall:10,.0f} scalars/s ({count:,} in {wall:.2f} s;"
            f" {count / cpu:,.0f}/s of CPU time)"
        )
    if peer is None:
        print("tensorboard: not found, no comparison (pip install tensorboard, --peer-python PY)")
    else:
        n, wall, cpu = peer
        print(
            f"EventAccumulator    {n / wall:10,.0f} scalars/s ({n:,} in {wall:.2f} s;"
            f" {n / cpu:,.0f}/s of CPU time)"
        )
        wall_rate, cpu_rate = rates["import into catalog"]
        speedup, cpu_speedup = wall_rate / (n / wall), cpu_rate / (n / cpu)
        print(f"import vs tensorboard {speedup:6.1f} x ({cpu_speedup:.1f} x in CPU time)")
    ok = rates["import into catalog"][0] >= TARGET_PER_S
    print(f"target >= {TARGET_PER_S:,} scalars/s imported: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
