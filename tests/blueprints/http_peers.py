"""Peers on loopback that a repository URL can point at: a real git server over smart
HTTP (dulwich's WSGI application), a server that trickles its answer one byte at a time,
and a plain listener that records what reaches it. Each runs in a thread of the test and
stops with it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from dulwich.repo import Repo
from dulwich.server import DictBackend
from dulwich.web import make_wsgi_chain


@dataclass
class Seen:
    """What reached a peer: each request's first line and Authorization header."""

    requests: list[str] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    connections: int = 0


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextmanager
def git_server(repository: Path, host: str = "127.0.0.1") -> Iterator[tuple[str, Seen]]:
    """Serve the git repository at `repository` over smart HTTP; its URL and what it saw."""
    seen = Seen()
    repo = Repo(str(repository))
    git_app = make_wsgi_chain(DictBackend({"/": repo}))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.requests.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        if environ.get("HTTP_AUTHORIZATION"):
            seen.authorizations.append(environ["HTTP_AUTHORIZATION"])
        result: Iterable[bytes] = git_app(environ, start_response)
        return result

    server = make_server(host, 0, app, server_class=WSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}/", seen
    finally:
        server.shutdown()
        server.server_close()
        repo.close()


@contextmanager
def raw_server(
    answer: Callable[[socket.socket, bytes, threading.Event], None], host: str = "127.0.0.1"
) -> Iterator[tuple[int, Seen]]:
    """A TCP server on `host` whose every connection is handed to `answer` with the
    request's head; its port and what it saw."""
    seen = Seen()
    stop = threading.Event()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, 0))
    listener.listen(16)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    threads: list[threading.Thread] = []

    def serve(connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            head = b""
            try:
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    chunk = connection.recv(4096)
                    if not chunk:
                        break
                    head += chunk
            except OSError:
                return
            lines = head.decode("latin-1").split("\r\n")
            seen.requests.append(lines[0])
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "authorization":
                    seen.authorizations.append(value.strip())
            try:
                answer(connection, head, stop)
            except OSError:
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            seen.connections += 1
            thread = threading.Thread(target=serve, args=(connection,), daemon=True)
            threads.append(thread)
            thread.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield port, seen
    finally:
        stop.set()
        acceptor.join(5)
        listener.close()
        for thread in threads:
            thread.join(5)


def trickle(interval: float) -> Callable[[socket.socket, bytes, threading.Event], None]:
    """An answer that starts a git reference advertisement and then sends one byte every
    `interval` seconds, for as long as the client stays (a reader that times out per read
    never gives up on it)."""

    def answer(connection: socket.socket, _head: bytes, stop: threading.Event) -> None:
        connection.sendall(
            b"HTTP/1.1 200 OK\r\n"
            b"Content-Type: application/x-git-upload-pack-advertisement\r\n"
            b"Content-Length: 100000\r\n\r\n"
        )
        while not stop.wait(interval):
            connection.sendall(b"a")  # "aaaa": a long pkt-line, never complete

    return answer


def redirect_to(location: str) -> Callable[[socket.socket, bytes, threading.Event], None]:
    """An answer that redirects every request to `location` + its path."""

    def answer(connection: socket.socket, head: bytes, _stop: threading.Event) -> None:
        path = head.split(b" ", 2)[1].decode("latin-1")
        connection.sendall(
            f"HTTP/1.1 302 Found\r\nLocation: {location.rstrip('/')}{path}\r\n"
            "Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )

    return answer


def not_git(connection: socket.socket, _head: bytes, _stop: threading.Event) -> None:
    """An answer that is some other service's: not a git server."""
    connection.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
