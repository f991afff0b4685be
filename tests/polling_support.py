"""Watching how the grader talks to a kernel: through execute_reply (autograder.polling), never execute_interactive.

    asked = only_execute_reply(monkeypatch)   # then start kernels, grade...; asked lists every code sent
"""

from autograder.polling import SlicedPollKernelClient


def only_execute_reply(monkeypatch):
    """Make execute_interactive fail the test and record execute_reply's code; returns the (live) list of codes."""

    def refuse(*args, **kwargs):
        raise AssertionError("the grader used execute_interactive, whose own poller can sleep through a reply")

    asked = []
    original = SlicedPollKernelClient.execute_reply

    async def recording(self, code, timeout, **options):
        asked.append(code)
        return await original(self, code, timeout, **options)

    monkeypatch.setattr(SlicedPollKernelClient, "execute_interactive", refuse)
    monkeypatch.setattr(SlicedPollKernelClient, "execute_reply", recording)
    return asked
