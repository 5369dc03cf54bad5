"""`python -m plex_pin_emulator [FLAGS]`: runs the binary, where its directory is not on PATH."""

import os
import subprocess
import sys

from ._binary import binary_path


def main() -> None:
    binary = binary_path()
    if sys.platform == "win32":
        sys.exit(subprocess.call([binary, *sys.argv[1:]]))
    os.execv(binary, [binary, *sys.argv[1:]])


if __name__ == "__main__":
    main()
