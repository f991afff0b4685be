"""A kernel client that cannot sleep through a message that has already arrived.

jupyter_client's asyncio channel waits for a message with one
`await socket.poll(timeout)`. If that poll misses the wake-up for a message
already in the socket, pyzmq looks again only when the timeout fires. Hangs of
this shape are reported upstream (jupyter_client #922, nbclient #312, pyzmq
#1558 and #2173; causes vary), and we saw one in `jupyter nbconvert --execute`
of the lessons beside two CPU hogs (lesson 3 stalled in 4 of 8 runs, each
stall ending exactly at the cell timeout; in a later session 0 of 14 runs
stalled). The likely cause is a missed edge of pyzmq's edge-triggered poller.
Under nbclient, as our executor configures it, a stall means:

* on the shell channel: the reply is seen only as the cell's limit runs out, so
  a cell that finished in a second takes its whole limit out of the
  submission's budget, or is recorded as timed out and scores 0;
* on the iopub channel (no timeout): the output of the cell's end is not seen
  within nbclient's iopub_timeout, which our executor (raise_on_iopub_timeout)
  also records as a timeout.

`SlicedPollChannel.get_msg` waits in slices of at most `POLL_SLICE` seconds;
when a slice ends, pyzmq looks at the socket itself, so a missed wake-up costs
at most one slice. The overall timeout (a negative one waits for ever, as in
pyzmq), and `Empty` when it runs out, are jupyter_client's.

jupyter_client's execute_interactive waits on a poller of its own, not on
get_msg; the executor's kernel-start preload and the integrity guard's
requests (autograder.integrity) therefore use
`SlicedPollKernelClient.execute_reply`, which waits on the sliced shell channel.

    SlicedPollKernelClient   # jupyter_client's AsyncKernelClient with these channels;
                             # autograder.executor drives every kernel it starts with it
    client.execute_reply(code, timeout, **execute_options) -> the execute_reply message
"""

import math
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
        if timeout is not None and timeout < 0:
            timeout = None  # as pyzmq reads a negative timeout: wait for ever
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = POLL_SLICE if deadline is None else min(POLL_SLICE, max(0.0, deadline - time.monotonic()))
            if await self.socket.poll(math.ceil(left * 1000)):
                return await self._recv()
            if deadline is not None and time.monotonic() >= deadline:
                raise Empty


class SlicedPollKernelClient(AsyncKernelClient):
    """AsyncKernelClient whose shell, iopub, stdin and control channels are SlicedPollChannels."""

    shell_channel_class = Type(SlicedPollChannel)
    iopub_channel_class = Type(SlicedPollChannel)
    stdin_channel_class = Type(SlicedPollChannel)
    control_channel_class = Type(SlicedPollChannel)

    async def execute_reply(self, code, timeout, **execute_options):
        """Run `code` and return its execute_reply message, waited for on the sliced shell channel.

        execute_options: those of execute (silent=True, store_history=False, ...). The code's output is not
        read (nbclient, which reads iopub next, skips messages of other requests). TimeoutError when no reply
        comes within `timeout` seconds (None or negative: wait for ever, as get_msg); replies to other
        requests are skipped.
        """
        msg_id = self.execute(code, **execute_options)
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                reply = await self.shell_channel.get_msg(timeout=left)
            except Empty:
                raise TimeoutError(f"no reply from the kernel within {timeout:g} s") from None
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return reply
