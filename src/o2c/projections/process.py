"""The projection in a process of its own, started and stopped with the API
(`o2c serve`'s default): it runs `o2c project` on the same database, so the
projection uses the machine's other core instead of competing for the API
process's interpreter lock while facts are being recorded."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Linux: the projector is sent SIGTERM if the API process dies without stopping it.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class ProjectorProcess:
    def __init__(self, database_url: str, poll_s: float = 0.02) -> None:
        self.database_url = database_url
        self.poll_s = poll_s
        self.errors = 0  # counted by the projector itself; see its log
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "O2C_DATABASE_URL": self.database_url}
        command = [sys.executable, "-m", "o2c.cli", "project", "--poll", str(self.poll_s)]
        self._process = subprocess.Popen(command, env=env, preexec_fn=_die_with_parent)

    def wake(self) -> None:
        """Nothing to do: the projector polls the log every `poll_s`."""

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()  # a batch cut short rolls back with its tracking position
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None
