"""A TCP proxy on loopback that a test can cut: the database "goes away" for one run only.

`down()` resets every connection through it and refuses new ones until `up()`; the server
behind it (PostgreSQL) and everyone else's connections to it are untouched.
`lose_next_commit_answer()` lets the next COMMIT reach the server and cuts its connection
before the answer comes back: the transaction is stored, and the client cannot know it.
"""

from __future__ import annotations

import selectors
import socket
import struct
import threading
from contextlib import suppress

RESET_ON_CLOSE = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: closing sends a reset


class TcpProxy:
    """Forward 127.0.0.1:<port> to `target` while up."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.is_up = True
        self.refused = 0
        self.commits_cut = 0
        self._cut_next_commit = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def down(self) -> None:
        """Reset every open connection and refuse new ones.

        Sockets are only shut down here; the thread forwarding a pair closes them. Closing a
        socket while another thread is blocked reading it would leave that thread reading
        whatever connection reuses the file descriptor next (a "hung" query, seen in CI).
        """
        with self._lock:
            self.is_up = False
            for sock in self._sockets:
                with suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET_ON_CLOSE)
                    sock.shutdown(socket.SHUT_RDWR)
            self._sockets.clear()

    def lose_next_commit_answer(self) -> None:
        with self._lock:
            self._cut_next_commit = True

    def up(self) -> None:
        with self._lock:
            self.is_up = True

    def close(self) -> None:
        self.down()
        with suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                if not self.is_up:
                    self.refused += 1
                    client.close()
                    continue
                try:
                    server = socket.create_connection(self.target, timeout=5)
                except OSError:
                    client.close()
                    continue
                server.settimeout(None)
                self._sockets += [client, server]
            threading.Thread(target=self._forward, args=(client, server), daemon=True).start()

    def _forward(self, client: socket.socket, server: socket.socket) -> None:
        """Copy bytes both ways until either side ends; then close both (only here)."""
        peer = {client: server, server: client}
        try:
            with selectors.DefaultSelector() as selector:
                for sock in peer:
                    selector.register(sock, selectors.EVENT_READ)
                while True:
                    for key, _ in selector.select():
                        data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                        if not data:
                            return
                        peer[key.fileobj].sendall(data)  # type: ignore[index]
                        if key.fileobj is client and self._cuts(data):
                            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET_ON_CLOSE)
                            return  # the answer is never read: both sockets close
        except OSError:
            pass
        finally:
            for sock in peer:
                with suppress(OSError):
                    sock.close()

    def _cuts(self, sent: bytes) -> bool:
        """Whether `sent`, just passed to the server, is the COMMIT whose answer is to be lost."""
        with self._lock:
            if not (self._cut_next_commit and b"COMMIT" in sent):
                return False
            self._cut_next_commit = False
            self.commits_cut += 1
            return True
