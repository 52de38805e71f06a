"""The Qt-free engine facade: every engine kgui knows, titles, installed or not, the pip command, no import."""
import subprocess
import sys
from pathlib import Path

import pytest

from kgui import backend
from kgui.core.training import engines

ROOT = Path(__file__).resolve().parents[1]


def test_every_engine_with_title_and_install_hint():
    known = engines.all_engines()
    assert [e.id for e in known] == backend.engine_ids() == ["tensorflow", "theano", "jax", "torch"]
    for engine in known:
        assert engine.install_hint.startswith("pip install ")
        if engine.installed:
            assert engine.label == f"{engine.title} {engine.version}"
        else:
            assert engine.label == f"{engine.title} (not installed)" and engine.version is None
    assert engines.find("tensorflow").label.startswith("TensorFlow 2.")
    assert engines.engine_title("tf") == "TensorFlow" and engines.engine_title("cntk") == "cntk"
    assert [e.id for e in engines.installed_engines()] == [e.id for e in known if e.installed]


def test_an_engine_has_one_id_one_title_and_one_label_everywhere():
    """Issue 26: ids ("tensorflow") are ids in the backend and in core, titles are what people read, and the label
    ("TensorFlow 2.21.0") is made in one place, for the engine picker and for a run's engine alike."""
    from kgui.ui import names

    assert not hasattr(engines, "engine_ids") and backend.canonical_id("pytorch") == "torch"
    assert engines.canonical_id is backend.canonical_id and names.engine_label is engines.engine_label
    assert [info.id for info in backend.available()] == backend.engine_ids()
    assert engines.engine_label("tf", "9.9") == "TensorFlow 9.9" and engines.engine_label("cntk", "1.0") == "cntk 1.0"
    for engine in engines.installed_engines():
        assert engine.label == engines.engine_label(engine.id) == engines.engine_label(engine.id, engine.version)


def test_aliases_and_unknown_names():
    assert engines.find("pytorch").id == "torch" and engines.find("PyTensor").id == "theano"
    assert engines.find("torch").title == "PyTorch"
    with pytest.raises(ValueError, match="unknown backend 'cntk'; known backends: tensorflow, theano, jax, torch"):
        engines.find("cntk")


def test_listing_engines_imports_none():
    code = ("import sys; from kgui.core.training import engines; print(len(engines.all_engines())); "
            "print([m for m in ('tensorflow', 'pytensor', 'jax', 'torch') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.split("\n")[:2] == ["4", "[]"]


def test_loading_an_engine_pauses_the_collector_then_freezes_the_engine_and_its_first_compile():
    """Issue 14: the collections an import triggers walk every object made so far, holding the GIL; the engine's
    objects (modules, and those its first compile imports) end up frozen, and the collector runs again. Two threads
    asking at once (a worker's import ahead and its first job) import it and compile its first function once."""
    engine = "theano" if "theano" in [e.id for e in engines.installed_engines()] else engines.installed_engines()[0].id
    code = ("import gc, sys, threading; from kgui.core.training import engines\n"
            "calls = []; first_call = engines._first_call\n"
            "engines._first_call = lambda K: (calls.append(K), first_call(K))\n"
            f"frozen = gc.get_freeze_count(); loaded = []\n"
            f"threads = [threading.Thread(target=lambda: loaded.append(engines.load({engine!r}))) for _ in range(2)]\n"
            "[thread.start() for thread in threads]; [thread.join() for thread in threads]; K = loaded[0]\n"
            "print(frozen, gc.get_freeze_count() > 50_000, gc.isenabled(), engines.load(K.backend()) is K, "
            "loaded[1] is K, len(calls))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.split() == ["0", "True", "True", "True", "True", "1"], out.stderr[-2000:]
