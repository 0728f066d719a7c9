"""Read a PyTorch weight file (``torch.save`` of a ``state_dict``) with numpy only, never running its code.

A ``.pth`` file is a pickle, and unpickling runs whatever callables the file names:
opening a downloaded file with plain ``pickle`` (or ``torch.load`` without
``weights_only``) lets it execute anything. This reader unpickles with a
:class:`RestrictedUnpickler` whose ``find_class`` knows only the handful of names a
state dict of dense tensors needs (:data:`ALLOWED_GLOBALS`) and maps each to a
numpy stand-in; any other name is refused with :class:`CheckpointReadError`
naming it, before anything is called.

Two containers are read:

* the zip format (torch ≥ 1.6): ``<archive>/data.pkl`` plus one raw storage per
  ``<archive>/data/<key>`` record and an optional ``<archive>/byteorder``;
* the legacy stream (``_use_new_zipfile_serialization=False``): a magic number,
  protocol and system-info pickles, the main pickle, the list of storage keys,
  then each storage as an 8-byte element count followed by its bytes.

Tensors come back as contiguous numpy arrays (bfloat16 widened exactly to
float32). The release containers are undone as ``training.checkpoints.read_weight_file``
undoes them: a ``state_dict``/``model``/``net`` entry is unwrapped and
DataParallel's ``module.`` prefix stripped; nothing else is renamed.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np


class CheckpointReadError(ValueError):
    """A weight file that cannot be read safely, with the reason in words."""


#: numpy dtype of each storage class a state dict may name (``torch.<Name>``).
STORAGE_DTYPES: dict[str, str] = {
    "FloatStorage": "<f4",
    "DoubleStorage": "<f8",
    "HalfStorage": "<f2",
    "BFloat16Storage": "<u2",  # widened to float32 when the tensor is rebuilt
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_CONTAINER_KEYS = ("state_dict", "model", "net")
_DATA_PARALLEL_PREFIX = "module."


@dataclass(frozen=True)
class _StorageType:
    """Stand-in for ``torch.FloatStorage`` & co.: only its element type matters."""

    name: str

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(STORAGE_DTYPES[self.name])


@dataclass(frozen=True)
class _Storage:
    data: np.ndarray  # 1-D, the storage's elements
    bfloat16: bool


@dataclass(frozen=True)
class _Tensor:
    """A tensor as the pickle describes it; its bytes are read once the whole file is (the legacy
    stream stores them after the pickle)."""

    storage: _Storage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]

    def to_array(self) -> np.ndarray:
        return _strided_copy(self.storage, self.offset, self.size, self.stride)


def _rebuild_tensor_v2(storage: _Storage, offset: int, size: tuple, stride: tuple,
                       requires_grad: bool = False, backward_hooks: Any = None, metadata: Any = None) -> _Tensor:
    """The stand-in for ``torch._utils._rebuild_tensor_v2``: records where the tensor's elements are."""
    if not isinstance(storage, _Storage):
        raise CheckpointReadError("a tensor refers to something that is not a storage record")
    return _Tensor(storage, int(offset), tuple(int(s) for s in size), tuple(int(s) for s in stride))


def _strided_copy(storage: _Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...]) -> np.ndarray:
    """A strided view of the storage, copied to a contiguous array."""
    needed = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0
    if offset < 0 or needed > storage.data.size:
        raise CheckpointReadError(f"a tensor of shape {size} reaches past the end of its storage (the file is damaged)")
    item = storage.data.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage.data[offset:], shape=size, strides=tuple(s * item for s in stride), writeable=False
    )
    array = np.array(view, copy=True)
    if storage.bfloat16:
        array = (array.astype(np.uint32) << 16).view(np.float32)
    return array


def _rebuild_parameter(data: _Tensor, requires_grad: bool = False, backward_hooks: Any = None) -> _Tensor:
    """``torch._utils._rebuild_parameter``: a Parameter is its data here."""
    return data


#: (module, name) → stand-in. Everything a state dict of dense tensors pickles, nothing more.
ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): _StorageType(name) for name in STORAGE_DTYPES},
}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles only what :data:`ALLOWED_GLOBALS` names; storages come from ``load_storage``."""

    def __init__(self, handle: BinaryIO, load_storage: Any) -> None:
        super().__init__(handle)
        self._load_storage = load_storage

    def find_class(self, module: str, name: str) -> Any:
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise CheckpointReadError(
                f"the file asks to run {module}.{name}, which a plain weight file never needs; "
                "refused (only tensors and ordered dicts are read)"
            ) from None

    def persistent_load(self, saved_id: Any) -> _Storage:
        if not (isinstance(saved_id, tuple) and len(saved_id) >= 5 and saved_id[0] == "storage"
                and isinstance(saved_id[1], _StorageType)):
            raise CheckpointReadError(f"unexpected record reference {str(saved_id)[:80]!r} (not a tensor storage)")
        storage_type, key, numel = saved_id[1], str(saved_id[2]), int(saved_id[4])
        data = self._load_storage(key, storage_type.dtype, numel)
        return _Storage(data, storage_type.name == "BFloat16Storage")


def read_state_dict(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """A release file's weights as a flat name → array dict (container unwrapped, ``module.`` stripped)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointReadError(f"{path}: no such file")
    try:
        raw = _read_zip(path) if zipfile.is_zipfile(path) else _read_legacy(path)
    except CheckpointReadError as exc:
        raise CheckpointReadError(f"{path.name}: {exc}") from None
    except (pickle.UnpicklingError, EOFError, zipfile.BadZipFile, KeyError, ValueError, struct.error,
            OSError, IndexError, TypeError, AttributeError) as exc:
        raise CheckpointReadError(
            f"{path.name}: cannot read the weight file; it is incomplete or damaged ({type(exc).__name__}: {exc})"
        ) from exc
    try:
        return _unwrap(raw, path.name)
    except (ValueError, TypeError) as exc:
        raise CheckpointReadError(f"{path.name}: a tensor cannot be read ({exc})") from exc


def _read_zip(path: Path) -> Any:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if len(pickles) != 1:
            raise CheckpointReadError("a zip file, but not a PyTorch weight file (no single data.pkl inside)")
        prefix = pickles[0][: -len("data.pkl")]
        packed = [info.filename for info in archive.infolist() if info.compress_type != zipfile.ZIP_STORED]
        if packed:  # torch stores records as they are; a compressed one could unpack to any size
            raise CheckpointReadError(f"the record {packed[0]!r} is compressed, which PyTorch never writes; refused")
        order = archive.read(prefix + "byteorder").decode().strip() if prefix + "byteorder" in names else "little"
        if order not in ("little", "big"):
            raise CheckpointReadError(f"unknown byte order {order!r}")

        def load_storage(key: str, dtype: np.dtype, numel: int) -> np.ndarray:
            record = f"{prefix}data/{key}"
            if record not in names:
                raise CheckpointReadError(f"the storage record {key!r} is missing (the file is incomplete)")
            wanted = dtype if order == "little" else dtype.newbyteorder(">")
            data = np.frombuffer(archive.read(record), dtype=wanted)
            if data.size < numel:
                raise CheckpointReadError(f"the storage record {key!r} is shorter than it says (the file is damaged)")
            return data.astype(dtype, copy=False)

        with archive.open(pickles[0]) as handle:
            return RestrictedUnpickler(io.BytesIO(handle.read()), load_storage).load()


def _read_legacy(path: Path) -> Any:
    """The pre-1.6 stream; storages are only known once the main pickle is read, so they are filled in after."""
    with open(path, "rb") as handle:
        header = _plain_pickle(handle)
        if header != _LEGACY_MAGIC:
            raise CheckpointReadError("neither a zip nor a legacy PyTorch weight file (no magic number)")
        _plain_pickle(handle)  # protocol version
        _plain_pickle(handle)  # system info (endianness, type sizes)
        pending: dict[str, tuple[np.dtype, int, np.ndarray]] = {}
        size = path.stat().st_size

        def load_storage(key: str, dtype: np.dtype, numel: int) -> np.ndarray:
            if not 0 <= numel * dtype.itemsize <= size:  # never allocate what the file cannot hold
                raise CheckpointReadError(f"storage {key!r} claims {numel} elements, more than the file holds")
            if key not in pending:
                pending[key] = (dtype, numel, np.empty(numel, dtype=dtype))
            return pending[key][2]

        result = RestrictedUnpickler(handle, load_storage).load()
        keys = _plain_pickle(handle)
        if not isinstance(keys, list):
            raise CheckpointReadError("the legacy storage list is malformed")
        for key in keys:
            (count,) = struct.unpack("<q", _read_exact(handle, 8))
            dtype, numel, target = pending[str(key)]
            if count != numel:
                raise CheckpointReadError(f"storage {key!r} holds {count} elements, the tensor expects {numel}")
            target[:] = np.frombuffer(_read_exact(handle, count * dtype.itemsize), dtype=dtype)
        return result


def _plain_pickle(handle: BinaryIO) -> Any:
    """A pickle that may hold no global and no storage (the legacy header and key list)."""
    return RestrictedUnpickler(handle, _no_storage).load()


def _no_storage(key: str, dtype: np.dtype, numel: int) -> np.ndarray:
    raise CheckpointReadError("a storage appears where none is allowed")


def _read_exact(handle: BinaryIO, count: int) -> bytes:
    data = handle.read(count)
    if len(data) != count:
        raise CheckpointReadError("the file ends early (it is incomplete)")
    return data


def _unwrap(raw: Any, label: str) -> dict[str, np.ndarray]:
    for key in _CONTAINER_KEYS:
        if isinstance(raw, dict) and isinstance(raw.get(key), dict):
            raw = raw[key]
            break
    if not isinstance(raw, dict) or not raw or not all(isinstance(v, _Tensor) for v in raw.values()):
        raise CheckpointReadError(f"{label}: no state dict of tensors found in the file")
    return {str(k).removeprefix(_DATA_PARALLEL_PREFIX): v.to_array() for k, v in raw.items()}
