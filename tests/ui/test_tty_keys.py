"""TtyKeys on a real pseudo-terminal pair: one key per call, settings restored every time."""

from __future__ import annotations

import os
import signal
import termios
import threading
import time

import pytest

from srs.ui.review import RESIZE, TtyKeys


@pytest.fixture
def pty_pair():  # type: ignore[no-untyped-def]
    master, slave = os.openpty()
    yield master, slave
    os.close(master)
    os.close(slave)


def test_keys_are_read_one_at_a_time_and_the_terminal_is_restored(pty_pair) -> None:  # type: ignore[no-untyped-def]
    master, slave = pty_pair
    before = termios.tcgetattr(slave)
    assert before[3] & termios.ICANON and before[3] & termios.ECHO
    keys = TtyKeys(slave)
    os.write(master, b" 3")
    assert keys() == " "
    assert keys() == "3"
    os.write(master, "é".encode())
    assert keys() == "é"
    os.write(master, b"\x1b[A")
    assert keys() == "\x1b[A"
    assert termios.tcgetattr(slave) == before


def test_ctrl_c_typed_during_the_read_is_a_key(pty_pair) -> None:  # type: ignore[no-untyped-def]
    master, slave = pty_pair
    before = termios.tcgetattr(slave)

    def type_when_raw() -> None:
        # Between reads the terminal is in its normal mode, where Ctrl-C raises SIGINT in
        # the reader (a KeyboardInterrupt, which also ends a session); during the read it is
        # a byte. Wait for the read to start, then type it.
        for _ in range(500):
            if not termios.tcgetattr(slave)[3] & termios.ICANON:
                break
            time.sleep(0.01)
        os.write(master, b"\x03")

    typist = threading.Thread(target=type_when_raw)
    typist.start()
    try:
        assert TtyKeys(slave)() == "\x03"
    finally:
        typist.join()
    assert termios.tcgetattr(slave) == before


def test_settings_are_restored_when_a_signal_interrupts_the_read(pty_pair) -> None:  # type: ignore[no-untyped-def]
    master, slave = pty_pair
    before = termios.tcgetattr(slave)

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(KeyboardInterrupt):
            TtyKeys(slave)()            # nothing typed: blocks until the signal
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert termios.tcgetattr(slave) == before


def test_typed_ahead_keys_are_not_lost(pty_pair) -> None:  # type: ignore[no-untyped-def]
    master, slave = pty_pair
    os.write(master, b"u3q")
    keys = TtyKeys(slave)
    assert [keys(), keys(), keys()] == ["u", "3", "q"]


def _set_size(fd: int, rows: int, cols: int) -> None:
    import fcntl
    import struct

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def test_a_resize_is_a_key_whether_it_comes_during_a_read_or_before_it(pty_pair) -> None:  # type: ignore[no-untyped-def]
    master, slave = pty_pair
    _set_size(slave, 24, 80)
    before = termios.tcgetattr(slave)
    handler = signal.getsignal(signal.SIGWINCH)
    keys = TtyKeys(slave)

    def resize_when_raw() -> None:
        for _ in range(500):
            if not termios.tcgetattr(slave)[3] & termios.ICANON:
                break
            time.sleep(0.01)
        _set_size(slave, 30, 90)
        os.kill(os.getpid(), signal.SIGWINCH)  # what the terminal sends its foreground

    resizer = threading.Thread(target=resize_when_raw)
    resizer.start()
    try:
        assert keys() == RESIZE
    finally:
        resizer.join()
    os.write(master, b"x")
    assert keys() == "x"                     # the size read at the wake-up is the current one
    _set_size(slave, 20, 60)                 # between two reads: no signal reaches the reader
    os.write(master, b"y")
    assert keys() == RESIZE
    assert keys() == "y"
    assert termios.tcgetattr(slave) == before
    assert signal.getsignal(signal.SIGWINCH) == handler


def test_a_session_holds_key_mode_between_reads_so_ctrl_z_is_a_key(pty_pair) -> None:  # type: ignore[no-untyped-def]
    master, slave = pty_pair
    before = termios.tcgetattr(slave)
    with TtyKeys(slave) as keys:
        os.write(master, b"3")
        assert keys() == "3"
        # Between reads (a card being drawn) the line discipline still makes no signal of
        # Ctrl-Z or Ctrl-C and echoes nothing; output processing is untouched.
        between = termios.tcgetattr(slave)
        assert not between[3] & (termios.ISIG | termios.ECHO | termios.ICANON)
        assert between[1] == before[1]
        os.write(master, b"\x1a\x03\r")
        assert [keys(), keys(), keys()] == ["\x1a", "\x03", "\r"]
    assert termios.tcgetattr(slave) == before


def test_keys_that_arrive_together_with_an_escape_sequence_each_come_back(pty_pair) -> None:  # type: ignore[no-untyped-def]
    # An arrow held down, or a rating typed right after a scroll, reaches the terminal in
    # one burst: each sequence and key is a key of its own, none is lost.
    master, slave = pty_pair

    def lost(signum: int, frame: object) -> None:
        raise AssertionError("a key was lost: the read waits for one never to come")

    previous = signal.signal(signal.SIGALRM, lost)
    signal.alarm(5)
    try:
        with TtyKeys(slave) as keys:
            os.write(master, b"\x1b[B\x1b[B\x1b[6~\x1bOA3")
            assert [keys() for _ in range(5)] == ["\x1b[B", "\x1b[B", "\x1b[6~", "\x1bOA", "3"]
            os.write(master, b"\x1bq")  # a lone ESC, then a key
            assert [keys(), keys()] == ["\x1b", "q"]
            os.write(master, b"\x1b")
            assert keys() == "\x1b"
            os.write(master, b"x")
            assert keys() == "x"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _stops(pid: int, within: float = 10.0) -> bool:
    """Whether the child `pid` is seen stopped within `within` seconds."""
    import time

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found, status = os.waitpid(pid, os.WNOHANG | os.WUNTRACED)
        if found and os.WIFSTOPPED(status):
            return True
        time.sleep(0.01)
    return False


def test_a_stop_gives_the_terminal_back_and_a_continue_takes_it_again(pty_pair) -> None:  # type: ignore[no-untyped-def]
    """As `kill -TSTP` then `fg` would: the shell gets its terminal settings while srs is
    stopped; continued, srs reads keys one at a time again and redraws (a RESIZE)."""
    import subprocess
    import sys

    master, slave = pty_pair
    script = ("from srs.ui.review import TtyKeys\n"
              "with TtyKeys(0) as keys:\n"
              "    print('ready', flush=True)\n"
              "    while (key := keys()) != 'q':\n"
              "        print(repr(key), flush=True)\n")
    with subprocess.Popen([sys.executable, "-c", script], stdin=slave,
                          stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        try:
            assert child.stdout.readline() == "ready\n"
            assert not termios.tcgetattr(slave)[3] & termios.ECHO
            os.kill(child.pid, signal.SIGTSTP)
            if not _stops(child.pid):
                pytest.skip("the stop was discarded or undone by what runs the tests (an "
                            "orphaned process group, or `timeout`, which continues it)")
            assert termios.tcgetattr(slave)[3] & termios.ECHO  # the shell's settings
            os.kill(child.pid, signal.SIGCONT)
            assert child.stdout.readline() == repr(RESIZE) + "\n"
            assert not termios.tcgetattr(slave)[3] & termios.ECHO
            os.write(master, b"x")
            assert child.stdout.readline() == "'x'\n"
            os.write(master, b"q")
            assert child.wait(timeout=10) == 0
        finally:
            if child.poll() is None:
                child.kill()
