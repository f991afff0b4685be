"""autograder.polling: a missed wake-up costs one slice, not the whole timeout.

The missed wake-up is made deterministic here: a socket whose first `poll` sleeps
through its whole timeout although a message is waiting, and only then looks at
the socket and finds it (what pyzmq's edge-triggered asyncio poller does when it
misses the event: its timeout handler polls once more). jupyter_client's own
channel then gets the reply only when the timeout runs out, which under nbclient
is the cell's whole time limit; the sliced channel never waits longer than
POLL_SLICE in one poll, so it finds the message on its next slice.
"""

import asyncio
import time
from queue import Empty

import pytest
import zmq
import zmq.asyncio
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.session import Session

from autograder import polling
from autograder.executor import _WrappedKernelManager
from autograder.polling import SlicedPollChannel, SlicedPollKernelClient
from tests.polling_support import only_execute_reply


class _SleepyFirstPoll(zmq.asyncio.Socket):
    """A socket whose first poll misses the wake-up: it waits out its timeout, then reports what is there."""

    missed = False
    poll_timeouts = None  # declared here: pyzmq sockets take only known attributes

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.poll_timeouts = []

    async def poll(self, timeout=None, flags=zmq.POLLIN):
        self.poll_timeouts.append(timeout)
        if not self.missed:
            self.missed = True
            await asyncio.sleep((timeout or 0) / 1000)
            return await super().poll(0, flags)
        return await super().poll(timeout, flags)


async def _receive(channel_class, timeout, send=True, socket_class=_SleepyFirstPoll):
    """(message or the Empty raised, seconds, the timeouts of the socket's polls in ms) of get_msg(timeout)."""
    context = zmq.asyncio.Context()
    session = Session(key=b"test")
    receiver = context.socket(zmq.PAIR, socket_class=socket_class)
    sender = context.socket(zmq.PAIR)
    try:
        receiver.bind("inproc://polling-test")
        sender.connect("inproc://polling-test")
        if send:
            session.send(sender, "execute_reply", {"status": "ok"})
            await asyncio.sleep(0.05)  # the message is in the receiver's queue before anyone waits for it
        channel = channel_class(receiver, session)
        start = time.monotonic()
        try:
            result = await channel.get_msg(timeout=timeout)
        except Empty as error:
            result = error
        return result, time.monotonic() - start, getattr(receiver, "poll_timeouts", None)
    finally:
        sender.close(linger=0)
        receiver.close(linger=0)
        context.term()


def test_jupyter_clients_own_channel_waits_out_its_whole_timeout_for_a_waiting_message():
    """The stall this module exists for: one poll of the whole timeout (under nbclient, the cell's limit)."""
    result, seconds, polls = asyncio.run(_receive(AsyncZMQSocketChannel, timeout=3.0))
    if len(polls) > 1 or polls[0] < 3000:  # pragma: no cover - a newer jupyter_client
        pytest.skip("jupyter_client's own channel now polls in slices; autograder.polling may be retired")
    assert result["content"] == {"status": "ok"} and seconds >= 3.0 * 0.95


def test_the_sliced_channel_finds_the_waiting_message_on_its_next_slice():
    result, _, polls = asyncio.run(_receive(SlicedPollChannel, timeout=30.0))
    assert not isinstance(result, Empty), "the sliced channel lost the message"
    assert result["header"]["msg_type"] == "execute_reply" and result["content"] == {"status": "ok"}
    # one slice, missed, then the message found as it ends (not after the 30 s timeout)
    assert polls == [int(polling.POLL_SLICE * 1000)], polls


def test_the_sliced_channel_keeps_the_timeout_and_empty_when_nothing_comes():
    result, seconds, _ = asyncio.run(_receive(SlicedPollChannel, timeout=2.5, send=False,
                                              socket_class=zmq.asyncio.Socket))
    assert isinstance(result, Empty)
    assert seconds >= 2.5 - 0.05  # it waited the whole timeout, over several slices


@pytest.mark.parametrize("timeout", [0, 0.2])
def test_a_message_already_waiting_is_returned_at_once_even_with_a_short_timeout(timeout):
    result, _, _ = asyncio.run(_receive(SlicedPollChannel, timeout=timeout, socket_class=zmq.asyncio.Socket))
    assert not isinstance(result, Empty) and result["content"] == {"status": "ok"}


def test_the_graders_kernels_are_driven_by_the_sliced_client():
    """autograder.executor starts every kernel with _WrappedKernelManager: its clients use sliced channels."""
    client = _WrappedKernelManager(kernel_name="python3").client()
    assert isinstance(client, SlicedPollKernelClient)
    for name in ("shell", "iopub", "stdin", "control"):
        assert issubclass(getattr(client, f"{name}_channel_class"), SlicedPollChannel), name


def test_execute_reply_waits_on_the_sliced_channel_for_its_own_reply_from_a_real_kernel():
    """The executor's kernel-start preload: the reply of its own request (others skipped), errors as replies,
    TimeoutError when the kernel does not answer in time."""
    from jupyter_client.manager import AsyncKernelManager

    async def run():
        manager = AsyncKernelManager(kernel_name="python3", client_factory=SlicedPollKernelClient)
        await manager.start_kernel()
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=120)
            other = client.execute("'another request'")  # its reply comes first and is not the one returned
            defined = await client.execute_reply("x = 41 + 1", timeout=120, silent=True, store_history=False)
            checked = await client.execute_reply("assert x == 42", timeout=120)
            failed = await client.execute_reply("1 / 0", timeout=120)
            for forever in (None, -1):  # as get_msg: no limit
                waited = await client.execute_reply("import time; time.sleep(1.5)", timeout=forever)
                assert waited["content"]["status"] == "ok", forever
            with pytest.raises(TimeoutError, match="no reply from the kernel within 0.5 s"):
                await client.execute_reply("import time; time.sleep(3)", timeout=0.5)
            return other, defined, checked, failed
        finally:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)

    other, defined, checked, failed = asyncio.run(run())
    assert defined["msg_type"] == "execute_reply" and defined["content"]["status"] == "ok"
    assert defined["parent_header"]["msg_id"] != other
    assert checked["content"]["status"] == "ok"
    assert failed["content"]["status"] == "error" and failed["content"]["ename"] == "ZeroDivisionError"


def test_the_executors_kernel_start_preloads_through_execute_reply(tmp_path, monkeypatch):
    """start_kernel's preload waits on the sliced channel, not on execute_interactive's own poller."""
    from autograder import executor

    sent = only_execute_reply(monkeypatch)
    limits = executor.ExecutionLimits(preload=("numpy", "json"))

    async def run():
        slot = await executor.start_kernel(tmp_path / "kernel", limits)
        await executor.stop_kernel(slot)

    asyncio.run(run())
    assert sent == ["__import__('numpy'); __import__('json')"]


def test_a_preload_without_a_reply_is_named_in_the_error_and_the_kernel_is_stopped(tmp_path, monkeypatch):
    from autograder import executor

    async def silent(self, code, timeout, **options):
        raise TimeoutError(f"no reply from the kernel within {timeout:g} s")

    monkeypatch.setattr(SlicedPollKernelClient, "execute_reply", silent)
    stopped = []
    original_stop = executor._stop

    async def recording_stop(manager, client):
        stopped.append(manager)
        await original_stop(manager, client)

    monkeypatch.setattr(executor, "_stop", recording_stop)
    with pytest.raises(TimeoutError, match=r"preloading \('numpy',\) at kernel start: no reply from the kernel "
                                           r"within 60 s"):
        asyncio.run(executor.start_kernel(tmp_path / "kernel", executor.ExecutionLimits(preload=("numpy",))))
    assert len(stopped) == 1 and not stopped[0].has_kernel
