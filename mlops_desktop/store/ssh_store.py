"""A lab store in a folder on one of the app's SSH hosts, through the OpenSSH layer of
:mod:`mlops_desktop.compute.ssh` (strict host keys, the app's known_hosts, one master
connection) and rsync.

Uploads: ``rsync --ignore-existing`` writes each blob to a temp name in its folder and renames
it into place once rsync's whole-file checksum matched, so two desktops uploading the same blob
at once are safe; every blob is also hashed against its name while the upload goes on (on the
host for SHA-256 blobs, here for BLAKE3 ones: :mod:`mlops_desktop.store.remote_check`) and a
mismatch is removed and reported. The options are plain rsync's: no ``-z`` (blobs are mostly
incompressible and compressing costs CPU on both ends), no ``--checksum`` (the store's listing
already says what is missing), the default whole-file transfer of a new file. Fetches land in a
local temp file that the caller hashes before keeping it.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.core.errors import (
    HostError,
    OperationCancelled,
    StoreError,
    StoreUnreachable,
)
from mlops_desktop.store.blobs import PREFIXES, BlobKey
from mlops_desktop.store.progress import (
    FetchProgress,
    parse_rsync_progress,
    report_rsync,
    rsync_lines,
)
from mlops_desktop.store.remote_check import UploadCheck

Progress = Callable[[int, int, str], None]
RSYNC_TIMEOUT_S = 6 * 3600
_PROGRESS_ARGS = ["--info=progress2", "--no-inc-recursive"]


class SshStore:
    """Blobs under ``root`` on the host of ``client``, in the home's layout."""

    def __init__(self, client: SshClient, root: str, label: str) -> None:
        self.client = client
        self.root = root.rstrip("/") or "/"
        self.label = label

    def _unreachable(self, why: str) -> StoreUnreachable:
        return StoreUnreachable(
            f"The lab store {self.label} cannot be reached ({why}); blobs already in this home "
            "or its cache still work."
        )

    def check(self) -> None:
        try:
            self.client.check_connection(timeout=20)
        except HostError as exc:
            raise self._unreachable(str(exc)) from None

    def prepare(self) -> None:
        """Create the store's folders on the host (for ``store set``)."""
        dirs = [f"{self.root}/{p}" for p in PREFIXES.values()]
        try:
            if self.client.run(["test", "-d", self.root], timeout=30, check=False).returncode:
                raise StoreError(
                    f"The folder {self.label} does not exist: create it on the host, then set "
                    "the lab store again."
                )
            self.client.run(["mkdir", "-p", "--", *dirs], timeout=30)
        except HostError as exc:
            raise StoreError(f"{self.label} cannot be used as the lab store: {exc}") from None

    def listing(self) -> dict[BlobKey, int]:
        """Every blob of the store with its size (one ``find`` on the host)."""
        script = (
            f"cd {shlex.quote(self.root)} && "
            "find artifacts/sha256 datasets/blobs -type f ! -name '.*' -printf '%s %p\\n' "
            "2>/dev/null; exit 0"
        )
        try:
            out = self.client.run_sh(script, timeout=300).stdout.decode("utf-8", "replace")
        except HostError as exc:
            raise self._unreachable(str(exc)) from None
        found = {}
        for line in out.splitlines():
            size, _, rel = line.partition(" ")
            key = BlobKey.of_rel(rel)
            if key is not None and size.isdigit():
                found[key] = int(size)
        return found

    def _rsync(self, argv: list[str], stdin: bytes | None = None) -> subprocess.Popen[bytes]:
        if shutil.which("rsync") is None:
            raise StoreError("rsync is not installed here; install it to use an SSH lab store.")
        return subprocess.Popen(
            ["rsync", "-e", self.client.ssh_command(), *argv],
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def _failed(self, proc: subprocess.Popen[bytes], stderr: bytes) -> None:
        text = stderr.decode("utf-8", "replace")
        if proc.returncode in (12, 255):
            try:
                self.client.raise_ssh_error(text)
            except HostError as exc:
                raise self._unreachable(str(exc)) from None
        raise StoreError(f"rsync to the lab store {self.label} failed: {text.strip()[-300:]}")

    def put_many(
        self,
        home: Path,
        keys: dict[BlobKey, int],
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> int:
        """Upload the blobs ``keys`` (with sizes) from ``home``; the number uploaded.
        ``progress`` hears (bytes done, bytes in all, the blob on its way) as rsync reports it,
        within each blob too. ``cancelled`` is asked at each report: once True, rsync is
        stopped and OperationCancelled raised (what arrived stays, checked).

        Every blob is verified by its hash: rsync's whole-file checksum proves the host's copy
        is what was sent, and a full hash pass proves it is what the name says (SHA-256 on the
        host once rsync has put it in place, BLAKE3 here), while the next ones travel; a blob
        that fails is removed from the store and StoreError raised.
        """
        if not keys:
            return 0
        self.check()
        names = "".join(f"{k.rel}\n" for k in keys).encode()
        argv = ["-a", "--ignore-existing", "--chmod=F444", "--files-from=-", "--out-format=%n"]
        argv += [*_PROGRESS_ARGS, f"{home}/", self.client.rsync_destination(self.root + "/")]
        proc = self._rsync(argv, stdin=names)
        assert proc.stdout is not None and proc.stderr is not None
        stderr = proc.stderr
        err: list[bytes] = []
        threads = [
            threading.Thread(target=_feed, args=(proc.stdin, names), daemon=True),
            threading.Thread(target=lambda: err.append(stderr.read()), daemon=True),
        ]
        for thread in threads:
            thread.start()
        checker = UploadCheck(self.client, self.root, home)
        upload = _Upload(keys, checker, progress)
        try:
            for line in rsync_lines(proc.stdout):
                upload.hear(line)
                if cancelled is not None and cancelled():
                    raise OperationCancelled(
                        "Sync was cancelled; what arrived in the store stays, the rest go up "
                        "with the next sync."
                    )
            proc.wait(timeout=RSYNC_TIMEOUT_S)
            for thread in threads:
                thread.join(timeout=10)
            if proc.returncode != 0:
                self._failed(proc, b"".join(err))
            upload.complete(upload.named)  # rsync ended well: every named blob is in place
        except BaseException:
            proc.kill()
            proc.wait()
            checker.stop()
            raise
        good = checker.finish(RSYNC_TIMEOUT_S)
        bad = [k.rel for k in upload.sent if k.hex not in good]
        if bad:
            try:
                self.client.run(["rm", "-f", "--", *[f"{self.root}/{r}" for r in bad]], check=False)
            except HostError as exc:  # the host went before the check could finish
                raise self._unreachable(str(exc)) from None
            raise StoreError(
                f"{len(bad)} blob(s) did not arrive intact in the lab store {self.label} and were "
                "removed; run `mlops-desktop store sync` again."
            )
        return len(upload.sent)

    def fetch_many(
        self, keys: list[BlobKey], dest: Path, progress: FetchProgress | None = None
    ) -> None:
        """Copy the blobs into the folder ``dest`` in the store's layout, in one rsync; those
        the store lacks are simply not there afterwards. ``progress`` hears (bytes done, bytes
        in all) of the whole transfer as rsync reports it."""
        names = "".join(f"{k.rel}\n" for k in keys).encode()
        source = self.client.rsync_destination(self.root + "/")
        argv = ["-a", "--no-perms", "--files-from=-", source, f"{dest}/"]
        proc = self._rsync(argv + _PROGRESS_ARGS, names)
        err = self._follow(proc, progress, names)
        if proc.returncode not in (0, 23, 24):  # 23, 24: some files were not there
            self._failed(proc, err)

    def fetch(self, key: BlobKey, dest: Path, progress: FetchProgress | None = None) -> bool:
        """Copy the blob into the new file ``dest``; False when the store lacks it.
        ``progress`` hears (bytes done, bytes in all) as rsync reports it."""
        source = self.client.rsync_destination(f"{self.root}/{key.rel}")
        proc = self._rsync(["--no-perms", source, str(dest), *_PROGRESS_ARGS])
        err = self._follow(proc, progress)
        if proc.returncode == 23 and b"No such file" in err:
            return False
        if proc.returncode != 0:
            self._failed(proc, err)
        return dest.is_file()

    def _follow(
        self, proc: subprocess.Popen[bytes], progress: FetchProgress | None, names: bytes = b""
    ) -> bytes:
        """Read rsync's progress lines as they come while threads feed its stdin (once, then
        closed) and collect its stderr: no pipe deadlock. Returns stderr once rsync ended."""
        assert proc.stdout is not None and proc.stderr is not None
        threads = []
        if proc.stdin is not None:
            threads.append(threading.Thread(target=_feed, args=(proc.stdin, names), daemon=True))
        err: list[bytes] = []
        stderr = proc.stderr
        threads.append(threading.Thread(target=lambda: err.append(stderr.read()), daemon=True))
        for thread in threads:
            thread.start()
        try:
            report_rsync(proc.stdout, progress)
            proc.wait(timeout=RSYNC_TIMEOUT_S)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            for thread in threads:
                thread.join(timeout=10)
        return b"".join(err)


_DONE = re.compile(rb"\(xfr#(\d+),")


class _Upload:
    """What rsync's stdout says of an upload: ``--out-format=%n`` names each blob as its
    transfer starts, and the ``--info=progress2`` line ending a blob counts the blobs sent
    (``xfr#N``); a blob goes to the checker only once complete."""

    def __init__(
        self, keys: dict[BlobKey, int], checker: UploadCheck, progress: Progress | None
    ) -> None:
        self.by_rel = {k.rel: k for k in keys}
        self.total = sum(keys.values())
        self.checker, self.progress = checker, progress
        self.named: list[BlobKey] = []  # in the order rsync sends them
        self.sent: list[BlobKey] = []

    def hear(self, line: bytes) -> None:
        parsed = parse_rsync_progress(line)
        if parsed is None:
            key = self.by_rel.get(line.decode("utf-8", "replace").strip())
            if key is not None:
                self.named.append(key)
            return
        finished = _DONE.search(line)
        if finished is not None:
            self.complete(self.named[: int(finished.group(1))])
        if self.progress is not None and self.named:
            self.progress(min(parsed[0], self.total), self.total, self.named[-1].rel)

    def complete(self, keys: list[BlobKey]) -> None:
        for key in keys[len(self.sent) :]:
            self.checker.check(key)
            self.sent.append(key)


def _feed(pipe: IO[bytes] | None, data: bytes) -> None:
    """Write ``data`` to a child's stdin and close it (on a thread: no pipe deadlock)."""
    if pipe is None:
        return
    try:
        pipe.write(data)
    except OSError:
        pass  # the child ended early; its exit status says why
    finally:
        try:
            pipe.close()
        except OSError:
            pass
