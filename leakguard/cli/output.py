"""Where the command line's output goes: reports written to stdout or atomically to a file, and a
progress line on a terminal's stderr."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from leakguard.errors import LeakguardError, UsageError


def terminal() -> bool:
    """Progress displays go to a terminal's stderr, never into CI logs."""
    return sys.stderr.isatty() and "CI" not in os.environ


class Progress:
    """A one-line progress display on stderr, only for a terminal and only once a scan has run
    for a second (never in CI logs, with --quiet, or when JSON goes to stdout)."""

    def __init__(self) -> None:
        import time

        self._clock = time.monotonic
        self._start = self._clock()
        # Seconds before the first update; tests set it to 0 to see the display on a small scan.
        self._delay = float(os.environ.get("LEAKGUARD_PROGRESS_AFTER", "1"))
        self._last = 0.0
        self._shown = False

    def __call__(self, scanned: int) -> None:
        now = self._clock()
        if now - self._start < self._delay or now - self._last < 0.1:
            return
        self._last = now
        self._shown = True
        from leakguard.model import human_size

        click.echo(f"\rleakguard: scanned {human_size(scanned)} in {now - self._start:.0f}s ", nl=False, err=True)

    def close(self) -> None:
        """Clear the line, if anything was shown."""
        if self._shown:
            click.echo("\r\033[K", nl=False, err=True)


def write(text: str, output: Path | None) -> None:
    """Write a report to stdout, or to a file. A regular file (or a new path) is written atomically
    (temporary file, then rename: never a half-written report). A device, FIFO or socket
    (``/dev/null``, ``/dev/stdout``, a pipe) is written directly: renaming over ``/dev/null`` as root
    would replace the device with a regular file. A symbolic link is never replaced and is written
    through only to a device, FIFO or socket: a link planted in a checkout (``report.json ->
    ~/.bashrc``) must not make a CI job running as root overwrite its target (exit 2)."""
    if output is None:
        try:
            click.echo(text, nl=False)
        except BrokenPipeError:
            # Caught here: click would turn it into exit 1, which reads as "blocking findings".
            raise LeakguardError("cannot write the report: standard output was closed") from None
        return
    if special(output):
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise UsageError(f"{output}: cannot write report: {exc.strerror}") from None
        return
    import tempfile  # 9 ms at start-up that --version and stdout reports do not need

    folder = output.parent if str(output.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=folder)
    except OSError as exc:
        raise UsageError(f"{output}: cannot write report: {exc.strerror}") from None
    try:
        # mkstemp creates 0600; a report or baseline is an ordinary file of the user's (as `init` writes).
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it: put it back at once
    os.umask(mask)
    return mask


def check(output: Path | None) -> None:
    """Before a scan: can a report (or baseline) be written to ``output``? ``UsageError`` (exit 2)
    if not, so that an unwritable path fails at once instead of after minutes of scanning."""
    if output is None:
        return
    if special(output):
        if not os.access(output, os.W_OK):
            raise UsageError(f"{output}: cannot write report: permission denied")
        return
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{output}: cannot write report: no such directory {str(folder)!r}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{output}: cannot write report: the directory {str(folder)!r} is not writable")


def special(output: Path) -> bool:
    """Is ``output`` a device, FIFO or socket (written directly)? False for a regular file or a new
    path (written atomically); ``UsageError`` for a directory or a link to anything else."""
    import stat

    try:
        mode = os.lstat(output).st_mode
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise UsageError(f"{output}: cannot write report: {exc.strerror}") from None
    if stat.S_ISLNK(mode):
        try:
            mode = os.stat(output).st_mode
        except OSError:
            mode = 0
        if not (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
            raise UsageError(f"{output}: is a symbolic link; a report is never written through a link to a file "
                             "(name the file itself)")
    if stat.S_ISDIR(mode):
        raise UsageError(f"{output}: is a directory")
    return not stat.S_ISREG(mode)
