"""`python -m bench._peak_rss COMMAND…`: run COMMAND (output discarded) and print the
most it held resident, in KB; exit with its exit code.

Why a process of its own: Linux starts a child's ru_maxrss from the resident size of
the process it was forked from (the parent's pages count until exec, and the peak
survives exec), so a command run straight from a benchmark that already holds 100 MB
would read as at least 100 MB. Run from this small interpreter the figure is the
command's own, above a floor of this process's size (about 10 MB).
"""

from __future__ import annotations

import resource
import subprocess
import sys


def main() -> None:
    code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)  # KB on Linux
    sys.exit(code)


if __name__ == "__main__":
    main()
