"""One EmbedStudio per user: a later start hands its files to the running window."""

import os

import pytest

pytest.importorskip("PySide6")

from embedstudio.app.single_instance import InstanceServer, hand_over  # noqa: E402


def test_a_later_start_hands_its_files_to_the_running_one(qtbot, tmp_path):
    name = f"embedstudio-test-{os.getpid()}"
    assert not hand_over(["x.txt"], name)  # nobody runs yet: this start becomes the running one
    server = InstanceServer(name)
    assert server.listening
    received = []
    server.paths_received.connect(received.append)
    corpus = tmp_path / "corpus.txt"
    assert hand_over([str(corpus), "relative.vec"], name)
    qtbot.waitUntil(lambda: bool(received), timeout=5000)
    assert received == [[str(corpus), os.path.abspath("relative.vec")]]  # absolute: the other has another cwd
    server.server.close()


def test_garbage_on_the_socket_opens_nothing(qtbot):
    from PySide6.QtNetwork import QLocalSocket

    name = f"embedstudio-test-garbage-{os.getpid()}"
    server = InstanceServer(name)
    received = []
    server.paths_received.connect(received.append)
    for payload in (b"not json\n", b'{"open": "/etc/passwd"}\n', b'{"open": [1, 2]}\n'):
        socket = QLocalSocket()
        socket.connectToServer(name)
        assert socket.waitForConnected(1000)
        socket.write(payload)
        socket.waitForBytesWritten(1000)
        socket.disconnectFromServer()
    qtbot.wait(300)
    assert received == []
    server.server.close()


def test_a_start_with_another_state_folder_is_another_app(monkeypatch, tmp_path):
    # a test (or a second profile) that starts the app with its own state folder must never hand its files to
    # the window the user has open: it listens and connects under another name
    from embedstudio.app.single_instance import server_name

    monkeypatch.setenv("EMBEDSTUDIO_STATE_DIR", str(tmp_path / "a"))
    first = server_name()
    assert server_name() == first  # the same folder: the same running app
    monkeypatch.setenv("EMBEDSTUDIO_STATE_DIR", str(tmp_path / "b"))
    assert server_name() != first
