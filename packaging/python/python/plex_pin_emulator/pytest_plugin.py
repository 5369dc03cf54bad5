"""The `plex_emulator` pytest fixture, registered by this package's `pytest11` entry point.

    def test_sign_in(plex_emulator):
        ...  # point the SDK at plex_emulator.url; plex_emulator.approve(pin_id)

Each test gets an emulator of its own, stopped when the test ends, passed or failed. A
`plex_emulator` mark passes options to `start()`::

    @pytest.mark.plex_emulator(pin_lifetime=2, faults=["500*1"])
    def test_expiry(plex_emulator): ...
"""

from typing import Iterator

import pytest

from ._emulator import Emulator, start


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "plex_emulator(**options): start this test's plex_emulator with these "
        "plex_pin_emulator.start() options (auto_approve, pin_lifetime, faults, strict)",
    )


@pytest.fixture
def plex_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A running plex-pin-emulator for this test (`plex_pin_emulator.Emulator`)."""
    mark = request.node.get_closest_marker("plex_emulator")
    with start(**(mark.kwargs if mark else {})) as emulator:
        yield emulator
