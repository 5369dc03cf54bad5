"""plex-pin-emulator, a local plex.tv for the PIN sign-in, for tests in Python.

Start it, point a Plex SDK at its URL, and approve, deny or expire pins or inject faults
from the test::

    from plex_pin_emulator import start

    with start() as emulator:
        ...  # the SDK creates a pin at f"{emulator.url}/api/v2/pins"
        emulator.approve(pin_id)

With pytest, the `plex_emulator` fixture does the same for each test. The methods are
the emulator's control API, documented in its README ("Control API").
"""

from ._binary import binary_path
from ._emulator import CONTROL_API, ControlError, Emulator, Pin, StartError, start

__all__ = [
    "CONTROL_API",
    "ControlError",
    "Emulator",
    "Pin",
    "StartError",
    "binary_path",
    "start",
]
