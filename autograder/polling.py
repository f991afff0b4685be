"""A kernel client that cannot sleep through a message that has already arrived.

jupyter_client's asyncio channel waits for a message with one
`await socket.poll(timeout)`. pyzmq's asyncio poller is edge-triggered, and on
a busy machine it can miss the wake-up for a message that is already in the
socket (jupyter_client #922, nbclient #312, pyzmq #1558 and #2173). It then
looks again only when its timeout fires. Under nbclient that costs:

* on the shell channel, the cell's whole time limit: the reply is found when
  the limit runs out, so a cell that took a second takes 120 s and eats the
  submission's wall-clock budget (cells after it may then not run at all);
* on the iopub channel (no timeout), until some later message arrives; if that
  was the cell's last output, nbclient stops waiting after its iopub_timeout
  and the output is missing from the graded notebook.

We saw the first kind in `jupyter nbconvert --execute` of the lessons beside
two CPU hogs (lesson 3 stalled in 4 of 8 runs; in a later session 0 of 14 runs
stalled, so it comes and goes with the machine). tests/test_polling.py makes
the missed wake-up deterministic.

`SlicedPollChannel.get_msg` waits in slices of at most `POLL_SLICE` seconds;
when a slice ends, pyzmq looks at the socket itself, so a missed wake-up costs
at most one slice. The overall timeout, and `Empty` when it runs out, are
jupyter_client's.

    SlicedPollKernelClient   # jupyter_client's AsyncKernelClient with these channels;
                             # autograder.executor drives every kernel it starts with it
"""

import time
from queue import Empty  # what jupyter_client's channels raise when no message came

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from traitlets import Type

#: Longest single wait on a socket, in seconds: the most a missed wake-up can cost.
POLL_SLICE = 1.0


class SlicedPollChannel(AsyncZMQSocketChannel):
    """An asyncio ZMQ channel whose get_msg re-checks the socket at least every POLL_SLICE seconds."""

    async def get_msg(self, timeout=None):
        """The next message; `Empty` if none arrives within `timeout` seconds (None: wait for ever)."""
        assert self.socket is not None
        deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
        while True:
            left = POLL_SLICE if deadline is None else min(POLL_SLICE, max(0.0, deadline - time.monotonic()))
            if await self.socket.poll(int(left * 1000)):
                return await self._recv()
            if deadline is not None and time.monotonic() >= deadline:
                raise Empty


class SlicedPollKernelClient(AsyncKernelClient):
    """AsyncKernelClient whose shell, iopub, stdin and control channels are SlicedPollChannels."""

    shell_channel_class = Type(SlicedPollChannel)
    iopub_channel_class = Type(SlicedPollChannel)
    stdin_channel_class = Type(SlicedPollChannel)
    control_channel_class = Type(SlicedPollChannel)
