"""The shipped notebook in a real browser: JupyterLab on localhost, headless Chromium driven by selenium.

    python bench/browser_notebook.py [--out docs/screenshot-notebook.png] [--keep-open]

Needs the ``browser`` extra (jupyterlab, selenium) and Debian's ``chromium`` and ``chromium-driver``
(``apt-get install chromium chromium-driver``). It starts JupyterLab in a temporary folder holding a copy of
resources/notebooks/keras_backend.ipynb (and its Otto sample), with this tree's kgui first on the kernel's path
and a temporary run store, opens the notebook in Chromium (a fresh profile), runs its first cell (the imports) and
its ``explore`` cell (the learning-rate cell), waits for the run to finish and its plot to be drawn, takes a
screenshot of the cell's output, and checks in the plot's own frame that the loss curve falls. Then it shuts the
kernel and JupyterLab down and quits the browser, and checks that none of their processes is left.
Exit status 0 when every check passed; each check prints one line.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "resources" / "notebooks"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1800,1400")
TRAIN_COLOUR = np.array([0x1F, 0x77, 0xB4])     # the loss plot's first run (kgui.ui.loss_plot.PALETTE[0])
RUN_TIMEOUT_S = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_lab(folder: Path, port: int) -> subprocess.Popen:
    """JupyterLab serving ``folder`` on localhost without a token, its own config and runtime folders, and the
    kernel importing this tree's kgui with a run store of its own."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), KGUI_RUNS_DIR=str(folder / "runs"), KGUI_BACKEND="tensorflow",
               JUPYTER_CONFIG_DIR=str(folder / ".jupyter"), JUPYTER_RUNTIME_DIR=str(folder / ".runtime"),
               XDG_CONFIG_HOME=str(folder / ".config"))
    env.pop("QT_QPA_PLATFORM", None)     # the kernel finds out itself that there is no display
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
               f"--ServerApp.root_dir={folder}", "--IdentityProvider.token=", "--ServerApp.password=",
               "--ServerApp.disable_check_xsrf=True", "--LabApp.news_url=None", "--allow-root"]
    notification = folder / ".jupyter/lab/user-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True, exist_ok=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))   # no toast on the shot
    log = open(folder / "jupyterlab.log", "wb")
    return subprocess.Popen(command, env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_for(condition, timeout_s: float, what: str, poll_s: float = 0.25):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll_s)
    raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def lab_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def kernels(port: int) -> list[dict]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/kernels", timeout=5) as response:
        return json.load(response)


def browser(profile: Path) -> webdriver.Chrome:
    """Headless Chromium with a new profile in ``profile``."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def code_cells(driver) -> list:
    return driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-CodeCell")


def run_cell(driver, cell) -> None:
    """Click into the cell's editor and run it (Shift+Enter), as a person would."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", cell)
    cell.find_element(By.CSS_SELECTOR, ".jp-InputArea-editor").click()
    webdriver.ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()


def cell_ran(cell) -> bool:
    """The cell has an execution count (``[1]:``), so it has finished."""
    prompt = cell.find_element(By.CSS_SELECTOR, ".jp-InputPrompt").text
    return "[" in prompt and "*" not in prompt and prompt.strip() != "[ ]:"


def falling(frame: Image.Image) -> tuple[bool, float, float]:
    """Whether the run's training curve (its colour) is lower on the right than on the left of the plot, by at
    least a tenth of the frame: the median height of its pixels in the first and last fifth of its horizontal
    extent (0 at the top)."""
    pixels = np.asarray(frame.convert("RGB")).astype(int)
    ys, xs = np.nonzero(np.abs(pixels - TRAIN_COLOUR).sum(axis=2) < 60)
    if len(xs) < 50:
        return False, float("nan"), float("nan")
    left, right = np.percentile(xs, 2), np.percentile(xs, 98)
    fifth = (right - left) / 5
    start = float(np.median(ys[xs <= left + fifth]))
    end = float(np.median(ys[xs >= right - fifth]))
    return end > start + 0.1 * frame.height, start, end


def check(ok: bool, text: str) -> bool:
    print(("ok   " if ok else "FAIL ") + text, flush=True)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot-notebook.png")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kgui-lab-"))
    for name in ("keras_backend.ipynb", "otto_sample.csv"):
        shutil.copy(NOTEBOOKS / name, folder / name)
    port = free_port()
    lab = start_lab(folder, port)
    driver = None
    results = []
    try:
        wait_for(lambda: lab_answers(port), 120, "JupyterLab to answer")
        driver = browser(folder / ".chromium")
        driver.get(f"http://127.0.0.1:{port}/lab/tree/keras_backend.ipynb")
        wait_for(lambda: len(code_cells(driver)) > 5, 120, "the notebook to open")
        wait_for(lambda: any(kernel["execution_state"] == "idle" for kernel in kernels(port)), 120,
                 "the kernel to start")
        cells = code_cells(driver)
        explore_cell = next(cell for cell in cells if "explore(" in cell.text)
        run_cell(driver, cells[0])
        wait_for(lambda: cell_ran(cells[0]), 180, "the first cell (imports) to run")
        results.append(check("engine: tensorflow" in cells[0].text, f"first cell: {cells[0].text.splitlines()[-1]}"))
        started = time.monotonic()
        run_cell(driver, explore_cell)
        status = lambda: " ".join(e.text for e in explore_cell.find_elements(By.CSS_SELECTOR, ".widget-html"))
        wait_for(lambda: "finished" in status() or "failed" in status(), RUN_TIMEOUT_S, "the explored run to end")
        results.append(check("finished after 400 steps" in status(),
                             f"explore cell: {status()} ({time.monotonic() - started:.0f} s)"))
        frames = explore_cell.find_elements(By.CSS_SELECTOR, "img.renderview-view")
        results.append(check(bool(frames), f"{len(frames)} jupyter_rfb frame(s) in the cell's output"))
        time.sleep(1.5)    # the last frame (jupyter_rfb sends a lossless one 0.3 s after the last change)
        plot = Image.open(io.BytesIO(frames[0].screenshot_as_png))
        is_falling, start, end = falling(plot)
        results.append(check(is_falling, f"the loss curve falls: its height in the plot goes from {start:.0f} px "
                                         f"to {end:.0f} px from the top ({plot.width}×{plot.height} px frame)"))
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", explore_cell)
        output = explore_cell.find_element(By.CSS_SELECTOR, ".jp-OutputArea")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        Image.open(io.BytesIO(output.screenshot_as_png)).save(args.out)
        print(f"screenshot: {args.out}", flush=True)
        for kernel in kernels(port):
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/kernels/{kernel['id']}", method="DELETE")
            urllib.request.urlopen(request, timeout=30).close()
        results.append(check(not kernels(port), "kernel shut down"))
    finally:
        if driver is not None:
            driver.quit()
        if lab.poll() is None:
            lab.send_signal(signal.SIGINT)      # JupyterLab asks to confirm the first one
            time.sleep(0.5)
            lab.send_signal(signal.SIGINT)
            try:
                lab.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(lab.pid, signal.SIGKILL)
                lab.wait()
    left = subprocess.run(["pgrep", "-f", str(folder)], capture_output=True, text=True).stdout.split()
    results.append(check(not left, "no process of the notebook's JupyterLab, kernel or workers left"
                                   + (f" (left: {' '.join(left)})" if left else "")))
    shutil.rmtree(folder, ignore_errors=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
