"""Every job in a worker process of its own (issue 20): the protocol (:mod:`.protocol`), the worker process
(:mod:`.main`), one worker seen from its parent (:mod:`.process`), the pool that reuses them (:mod:`.pool`) and the
job that runs in one (:mod:`.remote_job`). The parent side never imports an engine."""
from .pool import WorkerPool
from .process import Exited, WorkerProcess
from .remote_job import RemoteControl, RemoteJob

__all__ = ["Exited", "RemoteControl", "RemoteJob", "WorkerPool", "WorkerProcess"]
