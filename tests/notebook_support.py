"""Executing notebooks headless with a real kernel (nbclient) that runs this Python and imports this tree's kgui."""
import json
import os
import sys
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "resources" / "notebooks"
OTTO_DATA_DIR = Path(os.environ.get("KGUI_OTTO_DIR", ROOT.parent / "shared/data/kaggle_ottogroup")).parent
KERNEL = "kgui-test"


def kernel_manager(folder: Path, env: dict[str, str]) -> KernelManager:
    """A manager of a kernel on ``sys.executable`` (never whatever ``python3`` kernel the machine has), with this
    tree first on its path and ``env`` added to its environment; its kernelspec is written under ``folder``."""
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "kgui tests", "language": "python",
        "env": {"PYTHONPATH": str(ROOT), **env}}))
    return KernelManager(kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec.parent)]))


def execute(notebook: nbformat.NotebookNode, folder: Path, env: dict[str, str], cwd: Path = NOTEBOOKS,
            timeout: int = 300) -> nbformat.NotebookNode:
    """Run every cell of ``notebook`` in a fresh kernel started in ``cwd``; raises CellExecutionError on an error."""
    manager = kernel_manager(folder, env)
    client = NotebookClient(notebook, km=manager, timeout=timeout, resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute()
    finally:   # nbclient shuts down only the kernels it created itself, not one handed to it
        if manager.has_kernel:
            manager.shutdown_kernel(now=True)
    return notebook


def text_of(cell) -> str:
    """Everything a code cell printed or showed as text."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.data.get("text/plain", ""))
    return "".join(parts)
