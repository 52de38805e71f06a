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


def test_a_scheduler_that_dies_mid_sweep_ends_the_sweep_in_one_line_keeping_the_steps_received(tmp_path):
    """The scheduler killed while a trial trains: Dask cancels the trial's future (or, reconnecting, never ends it)
    and retrying would replace the run's steps; the sweep ends, its trial failed with the steps that came back, in one
    line (it hung before, printing Dask's own log line)."""
    import json
    import os
    import signal

    from kgui.core.runs import RunStatus, RunStore

    dask = Path(sys.executable).with_name("dask")
    env = dict(os.environ, PYTHONPATH=str(ROOT), DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED="False",
               DASK_TEMPORARY_DIRECTORY=str(tmp_path))   # the worker's scratch space, not /tmp's
    scheduler_file = tmp_path / "scheduler.json"
    processes = [subprocess.Popen([str(dask), "scheduler", "--scheduler-file", str(scheduler_file), "--port", "0",
                                   "--dashboard-address", ":0"], cwd=tmp_path, env=env, start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    sweep = None
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        processes.append(subprocess.Popen([str(dask), "worker", address, "--nthreads", "1", "--no-dashboard"],
                                          cwd=tmp_path, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(1, timeout=60)
        runs = tmp_path / "runs"
        sweep = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "sweep", "--backend", "torch", "--dataset",
                                  "spiral", "--steps", "10000000", "--grid", "lr=0.1,0.2", "--cluster", address,
                                  "--runs-dir", str(runs)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        store = RunStore(runs)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(
                record.summary.steps for record in (store.list() if runs.is_dir() else [])):
            assert sweep.poll() is None, sweep.communicate()
            time.sleep(0.2)
        os.killpg(processes[0].pid, signal.SIGKILL)
        out, err = sweep.communicate(timeout=90)
    finally:
        if sweep is not None and sweep.poll() is None:
            sweep.kill()
            sweep.wait()
        for process in reversed(processes):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
    assert sweep.returncode == 1
    assert err.strip() == "kgui: error: the connection to the Dask scheduler was lost", err
    [record] = RunStore(runs).list()
    assert record.status == RunStatus.FAILED and record.summary.steps > 0
    assert record.message == "the connection to the Dask scheduler was lost"
