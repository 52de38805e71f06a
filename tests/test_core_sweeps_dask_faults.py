"""A --cluster address that is no Dask scheduler: malformed, an HTTP server, a port that accepts and says nothing,
a server that answers something else. Each is one line and exit code 1, soon; nothing hangs (a Dask Client alone
waits forever for the handshake of a server that is not Dask)."""
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")
ROOT = Path(__file__).resolve().parents[1]


def sweep_on(address: str, runs_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "sweep", "--dataset", "spiral", "--steps", "5",
                           "--grid", "lr=0.1,0.2", "--cluster", address, "--runs-dir", str(runs_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def assert_one_line(result: subprocess.CompletedProcess, address: str) -> None:
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()], result.stderr
    assert f"cannot reach the Dask scheduler at {address}" in result.stderr


@pytest.fixture
def listener():
    """A TCP port on localhost that accepts connections and sends ``greeting`` (None: nothing, ever)."""
    server = socket.create_server(("127.0.0.1", 0))
    greeting: list[bytes | None] = [None]
    accepted = []

    def serve():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            accepted.append(connection)
            if greeting[0] is not None:
                connection.sendall(greeting[0])

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1], greeting
    server.close()
    for connection in accepted:
        connection.close()


@pytest.mark.parametrize("answer", [None, b"HTTP/1.0 400 Bad Request\r\n\r\n" + b"\xff" * 64,
                                    b"SSH-2.0-OpenSSH_9.2\r\n"], ids=["silent", "http", "ssh"])
def test_a_port_that_is_not_a_dask_scheduler_is_one_line_not_a_hang(listener, tmp_path, answer):
    port, greeting = listener
    greeting[0] = answer
    address = f"tcp://127.0.0.1:{port}"
    started = time.monotonic()
    result = sweep_on(address, tmp_path)
    assert_one_line(result, address)
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("address", ["garbage", "http://127.0.0.1:8786", "tcp://[::1"])
def test_a_malformed_scheduler_address_is_one_line(tmp_path, address):
    result = sweep_on(address, tmp_path)
    assert_one_line(result, address)
