"""Where the `plex-pin-emulator` binary is."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig

#: The environment variable that names another binary (a local build, say).
BINARY_VARIABLE = "PLEX_PIN_EMULATOR_BINARY"


def binary_path() -> str:
    """The path of the `plex-pin-emulator` binary this package runs.

    `$PLEX_PIN_EMULATOR_BINARY` when set; else the binary this package's wheel installed:
    in the interpreter's scripts directory (a virtual environment's `bin/`), the user's
    (`pip install --user`) or beside the package (`pip install --target DIR` puts it in
    `DIR/bin`); else the first on `PATH`. Raises `FileNotFoundError` when there is none.
    """
    override = os.environ.get(BINARY_VARIABLE)
    if override:
        return override
    name = "plex-pin-emulator" + (sysconfig.get_config_var("EXE") or "")
    for directory in _script_directories():
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(
        f"no {name} binary: install this package's wheel for your platform "
        f"(pip install plex-pin-emulator) or set {BINARY_VARIABLE}"
    )


def _script_directories() -> list[str]:
    directories = [sysconfig.get_path("scripts")]
    if sys.version_info >= (3, 10):
        user_scheme = sysconfig.get_preferred_scheme("user")
    else:  # pragma: no cover - Python 3.9
        user_scheme = "osx_framework_user" if sys.platform == "darwin" else f"{os.name}_user"
    try:
        directories.append(sysconfig.get_path("scripts", scheme=user_scheme))
    except KeyError:  # pragma: no cover - a Python built without user site
        pass
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    directories.append(os.path.join(package_root, "bin"))
    return directories
