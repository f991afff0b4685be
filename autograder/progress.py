"""Progress bars for long steps: tqdm on stderr, with the estimated time left.

Every long step of `python -m autograder` wraps its loop in `bar(...)`. The
bar shows done/total, the rate and `<time left` (tqdm's estimate from the
rate so far). `set_enabled(False)` (the CLI's --quiet) turns bars off, and so
does the environment variable AUTOGRADER_NO_PROGRESS=1 (used by the tests).
"""

import os
import sys

from tqdm import tqdm

_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining} left, {rate_fmt}]{postfix}"
_enabled = os.environ.get("AUTOGRADER_NO_PROGRESS", "") != "1"


def set_enabled(enabled):
    """Turn progress bars on or off for this process."""
    global _enabled
    _enabled = bool(enabled)


def bar(iterable=None, *, total=None, desc="", unit="item"):
    """A tqdm progress bar (a no-op bar when disabled); use as an iterable or call .update()."""
    return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, disable=not _enabled,
                bar_format=_FORMAT, dynamic_ncols=True, mininterval=0.5)


def note(message):
    """Print a line without breaking an active bar."""
    tqdm.write(message, file=sys.stderr)
