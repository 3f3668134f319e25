"""A TCP proxy on loopback that a test can cut: the database "goes away" for one run only.

`down()` resets every connection through it and refuses new ones until `up()`; the server
behind it (PostgreSQL) and everyone else's connections to it are untouched.
"""

from __future__ import annotations

import selectors
import socket
import threading
from contextlib import suppress


class TcpProxy:
    """Forward 127.0.0.1:<port> to `target` while up."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.is_up = True
        self.refused = 0
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
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    sock.shutdown(socket.SHUT_RDWR)
            self._sockets.clear()

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

    @staticmethod
    def _forward(client: socket.socket, server: socket.socket) -> None:
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
        except OSError:
            pass
        finally:
            for sock in peer:
                with suppress(OSError):
                    sock.close()
