"""The plex_pin_emulator module, as installed from its wheel: starting and stopping the
binary (however the test or the interpreter ends), the control routes, the fixture."""

import json
import os
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from importlib.metadata import version

import pytest

from plex_pin_emulator import CONTROL_API, ControlError, StartError, binary_path, start

CLIENT = "module-test"


def call(url, method, path, client=CLIENT, token=None):
    """One API request as a Plex client makes it: (status, JSON answer or None)."""
    headers = {"Accept": "application/json", "X-Plex-Client-Identifier": client, "X-Plex-Product": "module test"}
    if token:
        headers["X-Plex-Token"] = token
    request = urllib.request.Request(url + path, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, None


def create_pin(url, client=CLIENT):
    status, pin = call(url, "POST", "/api/v2/pins", client)
    assert status == 201
    return pin


def ended(pid, within=5.0):
    """Whether process `pid` is gone (or a zombie) within `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_approve_and_read_a_pin(plex_emulator):
    pin = create_pin(plex_emulator.url)
    assert plex_emulator.pin(pin["id"])["approved"] is False
    assert plex_emulator.approve(pin["code"].lower(), link=True) == {"id": pin["id"], "approved": True}
    status, polled = call(plex_emulator.url, "GET", f"/api/v2/pins/{pin['id']}")
    assert status == 200 and polled["authToken"]
    assert call(plex_emulator.url, "GET", "/api/v2/user", token=polled["authToken"])[0] == 200


def test_deny_and_expire(plex_emulator):
    for action in (plex_emulator.deny, plex_emulator.expire):
        pin = create_pin(plex_emulator.url)
        action(pin["id"])
        assert call(plex_emulator.url, "GET", f"/api/v2/pins/{pin['id']}")[0] == 404


def test_faults_and_a_clients_requests(plex_emulator):
    url = plex_emulator.url
    assert plex_emulator.fault("500", route="check", client="faulty", times=1) == 1
    pin = create_pin(url, client="faulty")
    assert call(url, "GET", f"/api/v2/pins/{pin['id']}", client="faulty")[0] == 500
    assert call(url, "GET", f"/api/v2/pins/{pin['id']}", client="faulty")[0] == 200
    assert [r["route"] for r in plex_emulator.requests("faulty")] == ["create_pin", "check_pin", "check_pin"]
    assert plex_emulator.requests("nobody") == []
    plex_emulator.fault("502", client="faulty")
    plex_emulator.fault("drop", client="another")
    assert plex_emulator.clear_faults("faulty") == 1
    assert plex_emulator.clear_faults() == 0
    assert plex_emulator.stats()["perRoute"]["check_pin"] == 2


def test_issue_and_revoke_a_token(plex_emulator):
    token = plex_emulator.issue_token()
    assert call(plex_emulator.url, "GET", "/api/v2/user", token=token)[0] == 200
    plex_emulator.revoke(token)
    assert call(plex_emulator.url, "GET", "/api/v2/user", token=token)[0] == 422


def test_the_version_is_the_packages(plex_emulator):
    assert plex_emulator.version() == {"controlApi": CONTROL_API, "emulator": version("plex-pin-emulator")}


def test_errors_are_typed(plex_emulator):
    with pytest.raises(ControlError) as raised:
        plex_emulator.deny(999_999)
    assert (raised.value.status, raised.value.code, raised.value.route) == (404, 1020, "deny")
    assert "Code not found or expired" in str(raised.value)
    with pytest.raises(ControlError) as raised:
        plex_emulator.fault("no-such-fault")
    assert raised.value.status == 400
    with pytest.raises(TypeError):
        plex_emulator.approve(None)


@pytest.mark.plex_emulator(pin_lifetime=3, strict=True)
def test_the_mark_passes_options(plex_emulator):
    assert create_pin(plex_emulator.url)["expiresIn"] == 3
    request = urllib.request.Request(
        f"{plex_emulator.url}/api/v2/pins", method="POST", headers={"X-Plex-Client-Identifier": CLIENT}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:  # strict: no X-Plex-Product
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    refused.value.close()


def test_a_bad_option_is_a_start_error_in_the_emulators_words():
    with pytest.raises(StartError, match="--pin-lifetime 0"):
        start(pin_lifetime=0)
    with pytest.raises(StartError, match="cannot run"):
        start(binary=os.path.join(os.path.dirname(__file__), "no-such-binary"))


def test_stopped_when_the_block_raises():
    with pytest.raises(RuntimeError, match="the test failed"):
        with start() as emulator:
            pid = emulator.pid
            raise RuntimeError("the test failed")
    assert not emulator.running and ended(pid)
    with pytest.raises(OSError):
        urllib.request.urlopen(emulator.url + "/emulator/version", timeout=2)
    emulator.stop()  # again: nothing happens


def run_python(code):
    """Starts `code` in another interpreter that prints its emulator's pid, and reads it."""
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    return child, int(child.stdout.readline())


def test_stopped_when_the_interpreter_exits_without_stopping_it():
    child, pid = run_python("import plex_pin_emulator as p; e = p.start(); print(e.pid, flush=True)")
    assert child.wait(timeout=10) == 0
    assert ended(pid)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_stopped_when_the_interpreter_is_killed():
    child, pid = run_python(
        "import time, plex_pin_emulator as p; e = p.start(); print(e.pid, flush=True); time.sleep(60)"
    )
    try:
        assert not ended(pid, within=0.5), "running while its parent runs"
    finally:
        child.send_signal(signal.SIGKILL)  # no atexit, no finalizer: only the stdin lifeline
        child.wait()
    assert ended(pid), "the emulator outlived the interpreter that started it"


def test_the_binary_is_the_one_the_wheel_installed():
    if os.environ.get("PLEX_PIN_EMULATOR_BINARY"):
        pytest.skip("PLEX_PIN_EMULATOR_BINARY names another binary")
    assert os.path.dirname(binary_path()) == sysconfig.get_path("scripts")
    version_line = subprocess.run([binary_path(), "--version"], capture_output=True, text=True).stdout
    assert version_line.split() == ["plex-pin-emulator", version("plex-pin-emulator")]
