"""Finding the processes a test planted, by a token in their command line.

Tests that plant a detached process inside a submission (one that tries to
outlive its kernel) put a unique token in its command line, then ask
`processes_with(token)` whether any such process is still running.
"""

import psutil


def processes_with(token):
    """The running processes whose command line contains `token` (a list of psutil.Process)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if any(token in part for part in process.info["cmdline"] or []):
                found.append(process)
        except psutil.Error:  # it ended while we looked, or is not ours to read
            continue
    return found
