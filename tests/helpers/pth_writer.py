"""Write files in PyTorch's zip checkpoint format from numpy, without torch (engine tests have none).

The pickle names the same globals ``torch.save`` of a state dict names
(``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage``, ``collections.OrderedDict``),
written as plain GLOBAL opcodes, so no torch module has to exist to write them. A test
may add any other global (:class:`Global`) to see it refused.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

STORAGES = {np.dtype("float32"): "FloatStorage", np.dtype("int64"): "LongStorage", np.dtype("float16"): "HalfStorage"}


@dataclass(frozen=True)
class Global:
    """A module-level name, pickled as a GLOBAL opcode (never imported while writing)."""

    module: str
    name: str

    def __call__(self, *args: Any) -> Any:  # pickle's reduce wants a callable; only its name is written
        raise TypeError(f"{self.module}.{self.name} is a name to pickle, not to call")


@dataclass(frozen=True)
class Call:
    """``Global(*args)`` when unpickled: the REDUCE a torch pickle uses to rebuild a tensor."""

    function: Global
    args: tuple

    def __reduce__(self) -> tuple:
        return self.function, self.args


class _Pickler(pickle._Pickler):  # the Python pickler: its dispatch table can take our Global
    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, handle: io.BytesIO, storages: dict[str, np.ndarray], claimed: int | None = None,
                 legacy: bool = False) -> None:
        super().__init__(handle, protocol=2)
        self.storages = storages
        self.legacy = legacy
        self.claimed = claimed  # an element count to state instead of the true one (a lying file)

    def save_global_name(self, obj: Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())

    dispatch[Global] = save_global_name

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, np.ndarray):
            key = str(len(self.storages))
            self.storages[key] = obj
            record = ("storage", Global("torch", STORAGES[obj.dtype]), key, "cpu", self.claimed or obj.size)
            return record + (None,) if self.legacy else record  # the legacy record ends with view metadata
        return None


def tensor(array: np.ndarray) -> Call:
    """The reduce call ``torch.save`` writes for a contiguous CPU tensor."""
    array = np.array(array, order="C")  # ascontiguousarray would turn a 0-d counter into shape (1,)
    stride = tuple(s // array.itemsize for s in array.strides)
    hooks = Call(Global("collections", "OrderedDict"), ())
    return Call(Global("torch._utils", "_rebuild_tensor_v2"), (array.reshape(-1), 0, array.shape, stride, False, hooks))


def _as_pickle_state(state: Mapping[str, np.ndarray] | Any, prefix: str) -> Any:
    if isinstance(state, Mapping):
        return Call(Global("collections", "OrderedDict"), ([(prefix + k, tensor(v)) for k, v in state.items()],))
    return state


def write_legacy_pth(path: Path, state: Mapping[str, np.ndarray], *, claimed: int | None = None) -> Path:
    """``torch.save(..., _use_new_zipfile_serialization=False)``: header pickles, the pickle, keys, raw storages."""
    storages: dict[str, np.ndarray] = {}
    body = io.BytesIO()
    _Pickler(body, storages, claimed, legacy=True).dump(_as_pickle_state(state, ""))
    with open(path, "wb") as out:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True}):
            pickle.dump(header, out, protocol=2)
        out.write(body.getvalue())
        pickle.dump(list(storages), out, protocol=2)
        for array in storages.values():
            out.write(np.int64(claimed or array.size).tobytes())
            out.write(array.astype(array.dtype.newbyteorder("<")).tobytes())
    return Path(path)


def write_pth(path: Path, state: Mapping[str, np.ndarray] | Any, *, prefix: str = "", archive: str = "archive") -> Path:
    """``torch.save(OrderedDict(state))`` in the zip format; ``state`` may also be any picklable stand-in."""
    state = _as_pickle_state(state, prefix)
    storages: dict[str, np.ndarray] = {}
    buffer = io.BytesIO()
    _Pickler(buffer, storages).dump(state)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as out:
        out.writestr(f"{archive}/data.pkl", buffer.getvalue())
        out.writestr(f"{archive}/byteorder", "little")
        for key, array in storages.items():
            out.writestr(f"{archive}/data/{key}", array.astype(array.dtype.newbyteorder("<")).tobytes())
        out.writestr(f"{archive}/version", "3\n")
    return Path(path)


def zeros_like_template(tensors: Any) -> OrderedDict[str, np.ndarray]:
    """A state dict of zeros with a template's names, shapes and dtypes."""
    return OrderedDict((t.name, np.zeros(t.shape, dtype=t.dtype)) for t in tensors)
