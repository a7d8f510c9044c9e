"""One EmbedStudio per user: a file opened (from a file manager, or ``embedstudio file``) while the app runs
goes to the running window instead of opening a second one. The running app listens on a local socket named
after the user and its state folder (a start with another EMBEDSTUDIO_STATE_DIR, as the tests make, is another
app and never hands its files to the user's window); a new start first tries to hand its paths over there."""

from __future__ import annotations

import getpass
import hashlib
import json
import os

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

MAX_MESSAGE = 1 << 20  # bytes: a list of paths, never more
CONNECT_MS = 300


def server_name() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    from embedstudio.app.autosave import state_dir

    folder = hashlib.sha256(os.path.abspath(state_dir()).encode()).hexdigest()[:12]
    return f"embedstudio-{user}-{folder}"


def hand_over(paths: list[str], name: str | None = None) -> bool:
    """Send ``paths`` (made absolute: the running app has another working folder) to a running EmbedStudio;
    False when none answers (this start then becomes the running one)."""
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(CONNECT_MS):
        return False
    message = json.dumps({"open": [os.path.abspath(p) for p in paths]}).encode("utf-8") + b"\n"
    socket.write(message)
    sent = socket.waitForBytesWritten(2000)
    socket.disconnectFromServer()
    return sent


class InstanceServer(QObject):
    """Listens for later starts; ``paths_received`` carries the paths each one handed over."""

    paths_received = Signal(list)

    def __init__(self, name: str | None = None, parent=None):
        super().__init__(parent)
        self.name = name or server_name()
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)  # this user's starts only
        if not self.server.listen(self.name):
            QLocalServer.removeServer(self.name)  # a socket file left by a crashed run
            self.server.listen(self.name)
        self.server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    @property
    def listening(self) -> bool:
        return self.server.isListening()

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._finish(s))

    def _read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll())
        if len(data) > MAX_MESSAGE:  # not a start of ours: drop it
            self._buffers.pop(socket, None)
            socket.abort()
            return
        self._buffers[socket] = data
        if data.endswith(b"\n"):
            self._finish(socket)

    def _finish(self, socket: QLocalSocket) -> None:
        data = self._buffers.pop(socket, None)
        if not data:
            return
        try:
            paths = json.loads(data.decode("utf-8"))["open"]
        except (ValueError, KeyError, TypeError):
            return
        if isinstance(paths, list) and all(isinstance(p, str) for p in paths):
            self.paths_received.emit(paths)
