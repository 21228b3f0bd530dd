"""Several processes, one result: what dnalm adds to run under ``torchrun``/``accelerate launch``.

The Trainer already spreads training and validation over the processes (DDP); what is dnalm's own
is the work around it, which must happen once or agree everywhere: the output folder is made and
written by the main process only (the others wait at :func:`barrier`), every process follows the
main process's plan (:func:`broadcast`, e.g. the step count the time budget allows, which each
process would otherwise time for itself), and a stop that one process decides (the time budget)
is taken by all of them (:func:`any_process`), or the others would wait forever for it in the next
gradient exchange. With one process every function here is a no-op.

The process group is the one ``accelerate`` (and so the Trainer) uses; :func:`start` creates it
early, before anything is written, when the launcher's environment says there are several processes,
and :func:`finish` takes it down when the work has succeeded (the ``dnalm`` command does; a script that
calls dnalm's functions under a launcher should too): a process that exits with the group still up can
abort in its exit (gloo's worker threads outlive the interpreter: "terminate called without an active
exception", SIGABRT) and fail a run whose work was done.
"""

from __future__ import annotations

import os

__all__ = [
    "any_process",
    "barrier",
    "broadcast",
    "check_launcher_environment",
    "device",
    "finish",
    "gather",
    "is_main",
    "rank",
    "start",
    "world_size",
]


def check_launcher_environment() -> None:
    """Refuse launcher variables that no launcher set (a stale shell or batch environment): ``RANK=1`` alone made a
    command a silent non-main process that wrote nothing with exit 0; ``WORLD_SIZE=2`` without a launcher failed
    deep inside; ``WORLD_SIZE=abc`` failed naming no variable."""
    values = {}
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE"):
        text = os.environ.get(name)
        if text is None:
            continue
        if not text.strip().isdigit():
            raise ValueError(f"the environment variable {name}={text!r} is not a whole number; unset it")
        values[name] = int(text)
    size = values.get("WORLD_SIZE", 1)
    if size < 1:
        raise ValueError(f"WORLD_SIZE={size} is set in the environment; unset it, or launch with torchrun")
    if size == 1 and values.get("RANK", 0) != 0:
        raise ValueError(
            f"RANK={values['RANK']} is set in the environment without a launcher (WORLD_SIZE is not above 1), so this "
            "process would wait for a main process that does not exist; unset RANK, or launch with torchrun"
        )
    if size > 1:
        missing = [n for n in ("RANK", "MASTER_ADDR", "MASTER_PORT") if not os.environ.get(n)]
        if missing or values["RANK"] >= size:
            raise ValueError(
                f"WORLD_SIZE={size} is set in the environment but no launcher started this process ("
                + (f"no {', '.join(missing)}" if missing else f"RANK={values['RANK']} is not below it")
                + "); unset WORLD_SIZE, or launch with torchrun or accelerate launch"
            )


def world_size() -> int:
    """Processes in this run (``WORLD_SIZE`` as torchrun and accelerate set it; 1 without a launcher)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def is_main() -> bool:
    """True in the process that writes files and logs (rank 0; the only process without a launcher)."""
    return rank() == 0


def device() -> str | None:
    """This process's own GPU when several processes share a machine's GPUs (``LOCAL_RANK``); None (the
    caller's default) with one process or without a GPU."""
    import torch

    if world_size() == 1 or not torch.cuda.is_available():
        return None
    return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"


def start() -> None:
    """Join the launcher's process group (gloo on a CPU, nccl on GPUs) if there are several processes."""
    if world_size() > 1:
        from accelerate import PartialState

        PartialState()


def finish() -> None:
    """Take down the process group, if there is one. Only after success: a process that failed may leave
    others inside a collective, and taking the group down then can wait for them forever."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _group():
    import torch.distributed as dist

    return dist if world_size() > 1 and dist.is_available() and dist.is_initialized() else None


def barrier() -> None:
    """Wait until every process gets here."""
    if (dist := _group()) is not None:
        dist.barrier()


def broadcast(value):
    """The main process's ``value`` in every process (any picklable value)."""
    if (dist := _group()) is None:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def gather(value) -> list | None:
    """Every process's ``value`` (any picklable value), in rank order, in the main process; None in the others."""
    if (dist := _group()) is None:
        return [value]
    box = [None] * world_size() if is_main() else None
    dist.gather_object(value, box, dst=0)
    return box


def any_process(flag: bool) -> bool:
    """True in every process when ``flag`` is true in any."""
    if (dist := _group()) is None:
        return flag
    import torch

    backend = dist.get_backend()
    device = f"cuda:{torch.cuda.current_device()}" if backend == "nccl" else "cpu"
    t = torch.tensor([1 if flag else 0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())
