"""A running plex-pin-emulator process and its control routes."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import urllib.error
import urllib.request
import weakref
from typing import Any, Iterable, Optional, Union

from ._binary import binary_path

#: The control API version this module speaks; `start` refuses an emulator that answers
#: another at `GET /emulator/version`.
CONTROL_API = 1

#: A pin, by its id (a number) or its code (text, any case).
Pin = Union[int, str]

# Never through a proxy: the emulator is on loopback, and HTTP_PROXY may be set.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class StartError(RuntimeError):
    """The emulator did not start; the message says why (its own words when it said any)."""


class ControlError(Exception):
    """A control route answered with an error (plex.tv's error shape).

    `status` is the HTTP status, `code` plex.tv's error code (1020: no such pin), and
    `message` the emulator's explanation.
    """

    def __init__(self, route: str, status: int, code: Optional[int], message: str):
        super().__init__(f"/emulator/{route}: {status} {message}" + (f" (code {code})" if code else ""))
        self.route = route
        self.status = status
        self.code = code
        self.message = message


def start(
    *,
    auto_approve: Optional[float] = None,
    pin_lifetime: Optional[float] = None,
    faults: Iterable[str] = (),
    strict: bool = False,
    port: int = 0,
    binary: Optional[str] = None,
    timeout: float = 10.0,
) -> Emulator:
    """Starts plex-pin-emulator on 127.0.0.1 and returns it once it answers.

    Use it as a context manager, which stops it however the block ends::

        with start() as emulator:
            ...  # point the SDK at emulator.url, approve with emulator.approve(pin_id)

    The options are the binary's flags: `auto_approve` (seconds after creation),
    `pin_lifetime` (seconds, both kinds of pin), `faults` (fault specs such as
    `"500*1"`), `strict`, `port` (0: a free one). `binary` overrides `binary_path()`;
    `timeout` bounds the start and every control call, in seconds.

    The process also stops when this interpreter exits, however it exits: `atexit` stops
    it on a normal exit, and the emulator ends by itself when its standard input, a pipe
    held by this process only, closes (on a crash or a kill).
    """
    command = [binary or binary_path(), "--port", str(port), "--exit-when-stdin-closes"]
    if auto_approve is not None:
        command += ["--auto-approve", str(auto_approve)]
    if pin_lifetime is not None:
        command += ["--pin-lifetime", str(pin_lifetime)]
    if isinstance(faults, str):
        faults = [faults]
    for fault in faults:
        command += ["--fault", fault]
    if strict:
        command.append("--strict")
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as error:
        raise StartError(f"cannot run {command[0]}: {error}") from error
    return Emulator._wait_for(process, timeout)


class Emulator:
    """A running plex-pin-emulator: its `url` and its control routes as methods.

    Get one from `start()` (or the `plex_emulator` pytest fixture). Every method is one
    call to the control API documented in the emulator's README ("Control API"); an error
    answer raises `ControlError`.
    """

    def __init__(self, process: subprocess.Popen, url: str, timeout: float):
        self._process = process
        self._timeout = timeout
        #: The emulator's base URL, `http://127.0.0.1:PORT`: plex.tv's place in the
        #: SDK under test (`{url}/api/v2/pins`, `{url}/api/v2/user`, …).
        self.url = url
        # Runs once: on stop(), on garbage collection, or at interpreter exit.
        self._stop = weakref.finalize(self, _stop_process, process)

    @classmethod
    def _wait_for(cls, process: subprocess.Popen, timeout: float) -> Emulator:
        said = _Stderr(process.stderr)
        lines: queue.Queue = queue.Queue()
        threading.Thread(
            target=lambda: lines.put(process.stdout.readline()), daemon=True
        ).start()
        try:
            first = lines.get(timeout=timeout).decode(errors="replace").strip()
        except queue.Empty:
            _stop_process(process)
            raise StartError(f"the emulator printed no URL within {timeout} s") from None
        if not first.startswith("http://"):
            _stop_process(process)
            raise StartError(said.text() or f"the emulator exited ({process.returncode}) without a URL")
        emulator = cls(process, first, timeout)
        try:
            answer = emulator.version()
        except (OSError, ValueError, ControlError) as error:
            emulator.stop()
            raise StartError(f"the emulator at {first} did not answer: {error}") from error
        if answer.get("controlApi") != CONTROL_API:
            emulator.stop()
            raise StartError(
                f"the emulator speaks control API {answer.get('controlApi')}, this module "
                f"{CONTROL_API}: install matching versions of the two"
            )
        return emulator

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<plex_pin_emulator.Emulator {self.url} {state}>"

    @property
    def pid(self) -> int:
        """The emulator process's id."""
        return self._process.pid

    @property
    def running(self) -> bool:
        """Whether the process is still running."""
        return self._process.poll() is None

    def stop(self) -> None:
        """Stops the emulator and waits for it to end; calling it again does nothing."""
        self._stop()

    # The control routes, in the README's order.

    def approve(self, pin: Pin, *, link: bool = False, forward_url: Optional[str] = None) -> dict:
        """Approves a pin as its user would: its next poll carries a token.

        `link=True` approves as plex.tv/link does, which takes 4-character codes only.
        `forward_url` is given back in the answer, as the Auth App's redirect.
        """
        return self._control("approve", _pin_fields(pin), link=link or None, forwardUrl=forward_url)

    def deny(self, pin: Pin) -> dict:
        """Denies a pin: it is gone, and its polls answer 404 (code 1020)."""
        return self._control("deny", _pin_fields(pin))

    def expire(self, pin: Pin) -> dict:
        """Expires a pin now: its polls answer 404 (code 1020)."""
        return self._control("expire", _pin_fields(pin))

    def pin(self, pin: Pin) -> dict:
        """A live pin's state: `id`, `code`, `product`, `strong`, `approved`, `expiresIn`."""
        return self._control("pin", _pin_fields(pin))

    def stats(self, client: Optional[str] = None) -> dict:
        """Request counts per route, live pins, what the emulator holds; with `client`,
        also `requests`: that client identifier's recent requests."""
        return self._control("stats", {}, client=client)

    def requests(self, client: str) -> list:
        """The recent requests sent with this `X-Plex-Client-Identifier`, oldest first,
        each `{"method", "path", "route", "atMs", "headers"}` (tokens shown as `***`)."""
        return self.stats(client)["requests"]

    def fault(
        self,
        fault: str,
        *,
        route: Optional[str] = None,
        pin: Optional[int] = None,
        client: Optional[str] = None,
        times: Optional[int] = None,
    ) -> int:
        """Injects a fault (`"500"`, `"429:5"`, `"slow:200"`, `"drop"`, …) on the API
        `route` (`"check"`, `"create"`, …; default every route), only for polls of `pin`,
        only for `client`, `times` times (default every time). Returns the number of rules."""
        answer = self._control("fault", {"fault": fault}, route=route, pin=pin, client=client, times=times)
        return answer["faults"]

    def clear_faults(self, client: Optional[str] = None) -> int:
        """Removes `client`'s fault rules, or every rule; returns the number left."""
        return self._control("clear-faults", {}, client=client)["faults"]

    def issue_token(self) -> str:
        """A fresh token, valid at `/api/v2/user`."""
        return self._control("issue-token", {})["token"]

    def revoke(self, token: str) -> None:
        """Revokes a token: `/api/v2/user` then answers 422 "Invalid token"."""
        self._control("revoke", {"token": token})

    def version(self) -> dict:
        """`{"controlApi": 1, "emulator": "0.1.0"}`: the control API's and the emulator's versions."""
        return self._control("version", {})

    def _control(self, route: str, fields: dict, /, **optional: Any) -> dict:
        fields = {**fields, **{k: v for k, v in optional.items() if v is not None}}
        request = urllib.request.Request(
            f"{self.url}/emulator/{route}",
            data=json.dumps(fields).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with _OPENER.open(request, timeout=self._timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                raise _control_error(route, error.code, error.read()) from None


def _pin_fields(pin: Pin) -> dict:
    if isinstance(pin, bool) or not isinstance(pin, (int, str)):
        raise TypeError(f"a pin is its id (int) or its code (str), not {pin!r}")
    return {"id": pin} if isinstance(pin, int) else {"code": pin}


def _control_error(route: str, status: int, body: bytes) -> ControlError:
    try:
        error = json.loads(body)["errors"][0]
        return ControlError(route, status, error.get("code"), error.get("message", ""))
    except (ValueError, KeyError, IndexError, TypeError):
        return ControlError(route, status, None, body.decode(errors="replace")[:200])


class _Stderr:
    """Reads the emulator's standard error to its end in a thread, so that a full pipe
    never blocks it, and keeps the first 64 KiB: why it did not start, when it did not."""

    def __init__(self, stream):
        self._kept = b""
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        with stream:
            while True:
                chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
                if not chunk:
                    return
                self._kept = (self._kept + chunk)[:65536]

    def text(self) -> str:
        """What it said, once it has ended."""
        self._thread.join(timeout=5)
        return self._kept.decode(errors="replace").strip()


def _stop_process(process: subprocess.Popen) -> None:
    """Ends the process: its lifeline (stdin) closed, then SIGTERM, then SIGKILL."""
    try:
        process.stdin.close()
    except OSError:
        pass
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    # Only now: a thread may be reading it, and closing waits for that read to end.
    process.stdout.close()
