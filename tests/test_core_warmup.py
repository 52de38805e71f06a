"""kgui warm-up fills PyTensor's compile cache: preparing the same experiment again in a new process compiles
no new C module."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WARM_UP = ("from kgui.core.training.warmup import warm_up; warm_up('theano', datasets=('linear',), kernels=()); "
           "import pytensor; print(pytensor.config.compiledir)")


def compiled_modules(compiledir: Path) -> set[str]:
    return {path.parent.name for path in compiledir.glob("tmp*/*.so")}


def run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_warm_up_fills_the_cache_so_a_second_compile_is_a_hit():
    compiledir = Path(run(WARM_UP).splitlines()[-1])
    after_warm_up = compiled_modules(compiledir)
    assert after_warm_up, f"no compiled modules in {compiledir}"
    run(WARM_UP)
    assert compiled_modules(compiledir) == after_warm_up


def test_the_shared_kernels_cover_every_activation_and_optimizer_on_both_tasks():
    from kgui.core.training.models import ACTIVATIONS
    from kgui.core.training.optimizers import OPTIMIZERS
    from kgui.core.training.warmup import SHARED_KERNELS

    for dataset in ("circle", "linear"):   # classification, regression
        kernels = [settings for settings in SHARED_KERNELS if settings.dataset == dataset]
        assert {settings.activation for settings in kernels} == set(ACTIVATIONS)
        assert {settings.optimizer for settings in kernels} == set(OPTIMIZERS)
        assert all(settings.model == "mlp" and len(settings.hidden) == 1 for settings in kernels)
