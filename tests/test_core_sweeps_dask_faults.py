"""A --cluster address that is no Dask scheduler: malformed, an HTTP server, a port that accepts and says nothing,
a server that answers something else. Each is one line and exit code 1, soon; nothing hangs (a Dask Client alone
waits forever for the handshake of a server that is not Dask)."""
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")
ROOT = Path(__file__).resolve().parents[1]


CONNECT_WAIT_S = 2.0   # kgui's wait for a scheduler's handshake (10 s), shortened: the tests wait for it to pass

EACH_ADDRESS = """
import contextlib, io, json, sys, time
from kgui.core.sweeps import dask_executor
from kgui.cli import main
dask_executor.CONNECT_TIMEOUT_S = float(sys.argv[1])
said = {}
for address in sys.argv[3:]:
    started = time.monotonic()
    with contextlib.redirect_stderr(io.StringIO()) as err:
        code = main(["sweep", "--dataset", "spiral", "--steps", "5", "--grid", "lr=0.1,0.2", "--cluster", address,
                     "--runs-dir", sys.argv[2]])
    said[address] = [code, err.getvalue(), time.monotonic() - started]
print(json.dumps(said))
"""


def sweeps_on(addresses: list[str], runs_dir: Path) -> dict[str, tuple[int, str, float]]:
    """``kgui sweep --cluster ADDRESS`` for each address, one after another in one fresh process (a hang is its
    timeout): each one's exit code, stderr, and seconds taken."""
    result = subprocess.run([sys.executable, "-c", EACH_ADDRESS, str(CONNECT_WAIT_S), str(runs_dir), *addresses],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return {address: tuple(said) for address, said in json.loads(result.stdout).items()}


def assert_one_line(said: tuple[int, str, float], address: str) -> None:
    code, err, _ = said
    assert code == 1, err
    assert err.strip().splitlines() == [err.strip()], err
    assert f"cannot reach the Dask scheduler at {address}" in err


@pytest.fixture
def listeners():
    """A TCP port on localhost per greeting, accepting connections and sending it (None: nothing, ever)."""
    servers, accepted = [], []

    def serve(server, greeting):
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            accepted.append(connection)
            if greeting is not None:
                connection.sendall(greeting)

    def listen(greeting: bytes | None) -> int:
        servers.append(socket.create_server(("127.0.0.1", 0)))
        threading.Thread(target=serve, args=(servers[-1], greeting), daemon=True).start()
        return servers[-1].getsockname()[1]

    yield listen
    for server in servers:
        server.close()
    for connection in accepted:
        connection.close()


ANSWERS = {"silent": None, "http": b"HTTP/1.0 400 Bad Request\r\n\r\n" + b"\xff" * 64, "ssh": b"SSH-2.0-OpenSSH_9.2\r\n"}


def test_a_port_that_is_not_a_dask_scheduler_or_a_malformed_address_is_one_line_not_a_hang(listeners, tmp_path):
    ports = {name: f"tcp://127.0.0.1:{listeners(answer)}" for name, answer in ANSWERS.items()}
    malformed = ["garbage", "http://127.0.0.1:8786", "tcp://[::1"]
    said = sweeps_on([*ports.values(), *malformed], tmp_path / "runs")
    for address in [*ports.values(), *malformed]:
        assert_one_line(said[address], address)
    assert said[ports["silent"]][2] < CONNECT_WAIT_S + 30   # it gave up after its wait (+1 s), not never


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
