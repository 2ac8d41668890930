"""Drive a real terminal program in a detached tmux session: send keys, read the screen."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable


class TmuxSession:
    """A detached tmux session of a given size running one command."""

    def __init__(self, command: list[str], *, width: int = 80, height: int = 24,
                 env: dict[str, str] | None = None, cwd: str | None = None) -> None:
        """Start the command in a new session named uniquely."""
        if shutil.which("tmux") is None:
            raise RuntimeError("tmux is not installed")
        self.name = f"thresher-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
        shell_command = f"env -u COLUMNS -u LINES {exports} {shlex.join(command)}; echo EXITED $?; sleep 30"
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
             *(["-c", cwd] if cwd else []), shell_command],
            check=True,
        )
        subprocess.run(["tmux", "set-option", "-t", self.name, "status", "off"], check=False)

    def send(self, *keys: str) -> None:
        """Send tmux key names (e.g. 'j', 'Enter', 'C-r') to the session."""
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def screen(self) -> str:
        """Return the visible screen as plain text."""
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], check=True,
                              capture_output=True, text=True).stdout

    def pid(self) -> int:
        """Return the pid of the process running in the pane."""
        out = subprocess.run(["tmux", "list-panes", "-t", self.name, "-F", "#{pane_pid}"], check=True,
                             capture_output=True, text=True).stdout
        return int(out.split()[0])

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 20.0) -> str:
        """Poll the screen until predicate(screen) holds; raise with the last screen on timeout."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting; last screen:\n{screen}")

    def close(self) -> None:
        """Kill the session and everything in it."""
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False, capture_output=True)
