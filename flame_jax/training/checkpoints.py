"""Checkpoints: Orbax saves of the train state and the data position, and their restoration.

On-disk layout (Orbax CheckpointManager, one directory per step):

    MODEL_DIR/
      1000/                      a complete checkpoint (renamed into place when finished)
        _CHECKPOINT_METADATA     Orbax's step metadata (item handlers, timestamps)
        commit_success.txt       written last, inside the temporary directory
        state/                   Orbax PyTree (OCDBT/TensorStore): {step, params, opt_state}
                                 (params-only checkpoints hold {step, params})
        data/metadata            JSON {"data_position": N, "step": 1000}
      2000.orbax-checkpoint-tmp/ a save in progress, or one a crash interrupted

Why this is crash-safe: Orbax writes every step into a temporary directory, writes
commit_success.txt into it, then renames it to its final name. `latest_step` and `restore`
only consider directories whose name is a step number and which hold commit_success.txt,
so a save killed at any point leaves the previous checkpoint as the newest one; the
leftover temporary directory is deleted when the next Checkpointer opens the directory.

`data_position` is the number of batches the training data iterator had produced when the
state was saved: a resumed run skips that many batches so it does not see data twice.

One trainer per MODEL_DIR: `lock_model_dir` holds fcntl.flock on MODEL_DIR/.lock for the run
(the file names the holder's pid and host); the kernel drops it when the process ends, however
it ends, so a killed run never leaves a stale lock, and a second trainer is refused at once.
gs:// directories cannot be locked (GCS has no advisory locks): there, running one trainer per
MODEL_DIR is the user's job. A save that fails (a full disk, no permission) raises
CheckpointError: one line naming the step, the directory and the cause.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import jax
import numpy as np
import orbax.checkpoint as ocp
from etils import epath

from flame_jax.training.state import TrainState

STATE_ITEM = "state"
DATA_ITEM = "data"
COMMIT_FILE = "commit_success.txt"  # Orbax's marker of a finalized directory
LOCK_FILE = ".lock"


class CheckpointError(RuntimeError):
    """A save that failed, or a MODEL_DIR another trainer holds."""


@contextlib.contextmanager
def lock_model_dir(model_dir: str) -> Iterator[None]:
    """Holds MODEL_DIR/.lock (fcntl.flock) for the block; CheckpointError if another process
    holds it. Taken by process 0 of a multi-host run (the one that writes the run's files);
    gs:// directories are not locked (see the module docstring)."""
    if "://" in model_dir or jax.process_index() != 0:
        yield
        return
    path = os.path.join(model_dir, LOCK_FILE)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 256, 0).decode(errors="replace").strip() or "another process"
            raise CheckpointError(
                f"MODEL_DIR {model_dir} is in use by another training run ({holder}, lock "
                f"{path}): wait for it to end, or choose another MODEL_DIR"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


_OS_REASONS = (
    "No space left on device",
    "Disk quota exceeded",
    "File too large",
    "Permission denied",
    "Read-only file system",
)


def _cause(error: BaseException) -> str:
    """A storage error in a line: the operating system's reason first when there is one (it
    sits deep in TensorStore's page-long messages), then the message's start."""
    text = " ".join(str(error).split()) or repr(error)
    reason = next((r for r in _OS_REASONS if r in text), None)
    head = text if len(text) <= 200 else text[:200] + " ..."
    return f"{reason} ({head})" if reason else head


class _QuietFailedSaves(logging.Filter):
    """While a Checkpointer is open, a failed async save is reported once, as CheckpointError:
    Orbax's logged traceback of it and TensorStore's late callbacks into the closed event loop
    (hundreds of "Event loop is closed" tracebacks) are dropped; everything else passes."""

    def __init__(self) -> None:
        super().__init__()
        self._previous = sys.unraisablehook

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno >= logging.ERROR and "orbax" in record.pathname)

    def unraisable(self, unraisable) -> None:
        if not (
            isinstance(unraisable.exc_value, RuntimeError)
            and "Event loop is closed" in str(unraisable.exc_value)
        ):
            self._previous(unraisable)

    def __enter__(self) -> _QuietFailedSaves:
        logging.getLogger("absl").addFilter(self)
        sys.unraisablehook = self.unraisable
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("absl").removeFilter(self)
        if sys.unraisablehook == self.unraisable:
            sys.unraisablehook = self._previous


def _default_sharding() -> jax.sharding.Sharding:
    return jax.sharding.SingleDeviceSharding(jax.local_devices()[0])


def _abstract(tree: Any) -> Any:
    """ShapeDtypeStructs with a sharding for every leaf: what Orbax restores into.

    Concrete arrays keep their own sharding; leaves without one (plain ShapeDtypeStructs,
    numpy arrays, Python scalars) go to the first local device.
    """

    def leaf(x: Any) -> jax.ShapeDtypeStruct:
        if isinstance(x, jax.Array):
            return jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding)
        if isinstance(x, jax.ShapeDtypeStruct):
            if x.sharding is None:
                return jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=_default_sharding())
            return x
        x = np.asarray(x)
        return jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=_default_sharding())

    return jax.tree_util.tree_map(leaf, tree)


def _key_name(path: Sequence[Any]) -> str:
    """A key path as 'params/layers/mlp/gate' (dict keys, attribute names, indices)."""
    parts = []
    for key in path:
        for attr in ("key", "name", "idx"):
            if hasattr(key, attr):
                parts.append(str(getattr(key, attr)))
                break
        else:
            parts.append(str(key))
    return "/".join(parts)


def _flat(tree: Any) -> dict[str, Any]:
    return {_key_name(p): x for p, x in jax.tree_util.tree_flatten_with_path(tree)[0]}


def _check_against_metadata(target: Any, saved: Any, where: str) -> None:
    """Raises a ValueError naming every array the checkpoint lacks or holds in another shape.

    Orbax's own errors on a mismatch come from TensorStore and do not say which parameter
    was wrong; this check does, before anything is read.
    """
    saved_flat = _flat(saved)
    missing, mismatched = [], []
    for name, want in _flat(target).items():
        have = saved_flat.get(name)
        if have is None:
            missing.append(name)
        elif tuple(have.shape) != tuple(want.shape):
            mismatched.append(f"{name}: checkpoint {tuple(have.shape)}, expected {want.shape}")
    if mismatched:
        raise ValueError(f"shape mismatch restoring {where}:\n  " + "\n  ".join(mismatched))
    if missing:
        shown = ", ".join(missing[:10])
        if len(missing) > 10:
            shown += f" (and {len(missing) - 10} more)"
        hint = (
            "; this checkpoint holds parameters only: restore with opt_state=None and "
            "initialise a fresh optimizer state"
            if all(m.startswith("opt_state") for m in missing)
            else ""
        )
        raise ValueError(f"{where} has no {shown}{hint}")


def _is_complete(step_dir: epath.Path) -> bool:
    return step_dir.name.isdigit() and (step_dir / COMMIT_FILE).exists()


def complete_steps(directory: str) -> list[int]:
    """The steps of `directory` whose checkpoints were finalized, ascending.

    Orbax's own listing skips temporary directories; commit_success.txt is checked as well,
    so that a step directory copied by hand, or left by a non-atomic filesystem, only counts
    once its last file is there.
    """
    path = epath.Path(directory)
    steps = ocp.path.step.checkpoint_steps(path) if path.exists() else []
    return sorted(s for s in steps if _is_complete(path / str(s)))


class Checkpointer:
    """Saves and restores TrainStates (plus the data position) in one directory.

    directory: MODEL_DIR; created if missing. Leftover temporary directories of interrupted
      saves are deleted on opening.
    keep: how many of the newest checkpoints to keep (None keeps all).
    save_every: `save` without force only saves steps divisible by this.
    async_save: write in a background thread (training continues); call wait() or close()
      before reading the files or exiting.
    params_only: save {step, params} without the optimizer state (a third of Adam's bytes).
    """

    def __init__(
        self,
        directory: str,
        *,
        keep: int | None = 3,
        save_every: int = 1000,
        async_save: bool = True,
        params_only: bool = False,
    ) -> None:
        self.directory = os.fspath(directory)
        if save_every < 1:
            raise ValueError(f"save_every must be >= 1, got {save_every}")
        self.save_every = save_every
        self.params_only = params_only
        options = ocp.CheckpointManagerOptions(
            max_to_keep=keep,
            enable_async_checkpointing=async_save,
            cleanup_tmp_directories=True,
            create=True,
        )
        # Handlers named up front so that a fresh manager (a restarted run) can read item
        # metadata before anything was saved or restored through it.
        handlers = {
            STATE_ITEM: ocp.PyTreeCheckpointHandler(),
            DATA_ITEM: ocp.JsonCheckpointHandler(),
        }
        self._manager = ocp.CheckpointManager(
            self.directory, options=options, item_handlers=handlers
        )
        self._pending: int | None = None  # the step of the save in flight
        self._quiet = _QuietFailedSaves().__enter__()

    def save(self, state: TrainState, *, data_position: int, force: bool = False) -> bool:
        """Starts saving `state` at step int(state.step); returns whether a save started.

        Skipped (False) when the step is not a multiple of save_every (unless force) or is
        not newer than the last save. With async_save the arrays are copied off the devices
        before this returns and written in the background.
        """
        step = int(state.step)
        if not force and step % self.save_every:
            return False
        latest = self._manager.latest_step()  # includes a save still in flight
        if latest is not None and step <= latest:
            return False
        tree = {"step": state.step, "params": state.params}
        if not self.params_only:
            tree["opt_state"] = state.opt_state
        args = ocp.args.Composite(
            **{
                STATE_ITEM: ocp.args.PyTreeSave(tree),
                DATA_ITEM: ocp.args.JsonSave({"data_position": int(data_position), "step": step}),
            }
        )
        # The interval is decided above (Orbax's own policy would also save a run's first
        # step, whatever it is); force here only bypasses that policy.
        try:
            started = bool(self._manager.save(step, args=args, force=True))
        except Exception as e:  # a failed earlier async save surfaces here too
            raise self._failed(e, self._pending or step) from None
        if started:
            self._pending = step
        if started:
            logging.info("checkpoint: saving step %d to %s", step, self.directory)
        return started

    def all_steps(self) -> list[int]:
        """The complete checkpoints on disk, ascending (a save in flight is not one yet)."""
        return complete_steps(self.directory)

    def latest_step(self) -> int | None:
        """The newest complete checkpoint's step, or None: where a restarted run resumes."""
        steps = self.all_steps()
        return steps[-1] if steps else None

    def restore(
        self, abstract_state: TrainState, step: int | None = None
    ) -> tuple[TrainState, int]:
        """(state, data_position) from checkpoint `step` (default: the newest complete one).

        abstract_state gives the structure, shapes, dtypes and shardings to restore into
        (jax.ShapeDtypeStruct with sharding=, or concrete arrays): each host reads only its
        shards, straight into their devices, whatever layout the checkpoint was saved from.
        With abstract_state.opt_state None only step and params are read (fine-tuning from a
        full checkpoint, or resuming from a params-only one); the returned opt_state is None.
        """
        step = self._resolve_step(step)
        target: dict[str, Any] = {"step": abstract_state.step, "params": abstract_state.params}
        if abstract_state.opt_state is not None:
            target["opt_state"] = abstract_state.opt_state
        target = _abstract(target)
        where = f"checkpoint {os.path.join(self.directory, str(step))}"
        saved = self._manager.item_metadata(step)[STATE_ITEM]
        if saved is None:
            raise ValueError(f"{where} has no readable {STATE_ITEM}/ item")
        _check_against_metadata(target, saved.tree, where)
        restored = self._manager.restore(
            step,
            args=ocp.args.Composite(
                **{
                    STATE_ITEM: ocp.args.PyTreeRestore(
                        target,
                        restore_args=ocp.checkpoint_utils.construct_restore_args(target),
                        partial_restore=True,
                    ),
                    DATA_ITEM: ocp.args.JsonRestore(),
                }
            ),
        )
        tree = restored[STATE_ITEM]
        state = TrainState(
            step=tree["step"], params=tree["params"], opt_state=tree.get("opt_state")
        )
        return state, int(restored[DATA_ITEM]["data_position"])

    def _resolve_step(self, step: int | None) -> int:
        steps = self.all_steps()
        if not steps:
            raise FileNotFoundError(f"no complete checkpoint in {self.directory}")
        if step is None:
            return steps[-1]
        if step not in steps:
            raise FileNotFoundError(
                f"no complete checkpoint for step {step} in {self.directory}; complete: {steps}"
            )
        return step

    def _failed(self, error: BaseException, step: int | None = None) -> CheckpointError:
        which = f"step {step}" if step is not None else "a checkpoint"
        return CheckpointError(f"saving {which} to {self.directory} failed: {_cause(error)}")

    def wait(self) -> None:
        """Blocks until the save in flight (if any) is on disk, finalized and old ones pruned."""
        try:
            self._manager.wait_until_finished()
        except Exception as e:
            raise self._failed(e, self._pending) from None

    def close(self) -> None:
        """Waits for the save in flight, then releases Orbax's threads."""
        try:
            self.wait()
        finally:
            try:
                self._manager.close()
            finally:
                self._quiet.__exit__()

    def __enter__(self) -> Checkpointer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _state_dir(path: str) -> epath.Path:
    """The Orbax PyTree directory for `path`: a step directory, its state/ item, a directory
    of steps (its newest complete one), or a MODEL_DIR (the same in its checkpoints/)."""
    p = epath.Path(path)
    if not p.exists():
        raise FileNotFoundError(f"checkpoint path {path} does not exist")
    if (p / "checkpoints").is_dir() and not (p / STATE_ITEM).is_dir():
        p = p / "checkpoints"
    if (p / STATE_ITEM).is_dir():
        if not _is_complete(p):
            raise FileNotFoundError(f"{path} is not a complete checkpoint (no {COMMIT_FILE})")
        return p / STATE_ITEM
    if p.name == STATE_ITEM and (p / "_METADATA").exists():
        return p
    steps = complete_steps(str(p))
    if steps:
        return p / str(steps[-1]) / STATE_ITEM
    raise FileNotFoundError(
        f"no checkpoint at {path}: expected a step directory written by Checkpointer "
        f"(holding {STATE_ITEM}/), or a directory of them"
    )


def checkpoint_step(path: str) -> int:
    """The training step of a checkpoint path (as restore_params resolves it)."""
    step_dir = _state_dir(path).parent
    try:
        return int(step_dir.name)
    except ValueError:
        raise ValueError(f"{step_dir} is not a step directory (its name is not a step)") from None


def restore_params(path: str, abstract_params: Any) -> Any:
    """Only the parameters of a checkpoint, restored into abstract_params' shardings.

    For INITIAL_CHECKPOINT_PATH: `path` is a step directory written by Checkpointer (full
    state or params-only; MODEL_DIR/1000), or a MODEL_DIR (its newest complete step). The
    optimizer state on disk, if any, is not read.
    """
    state_dir = _state_dir(path)
    target = {"params": _abstract(abstract_params)}
    handler = ocp.PyTreeCheckpointHandler()
    try:
        saved = handler.metadata(state_dir).tree
    finally:
        handler.close()
    _check_against_metadata(target, saved, f"checkpoint {state_dir.parent}")
    with ocp.PyTreeCheckpointer() as checkpointer:
        restored = checkpointer.restore(
            state_dir,
            args=ocp.args.PyTreeRestore(
                target,
                restore_args=ocp.checkpoint_utils.construct_restore_args(target),
                partial_restore=True,
            ),
        )
    return restored["params"]
