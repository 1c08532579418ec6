"""A pickle module for `torch.load(..., pickle_module=safe_pickle)` that builds only what
checkpoints hold: tensors and their storages, containers, numbers and strings, and
argparse.Namespace (train_args). Any other global a file names (os.system, eval, a class
whose __reduce__ runs code) is refused before it is looked up, so nothing it names runs.

torch's own allow-list (weights_only) cannot read train_args before torch 2.4, and Debian
ships 1.13, so this module is used on every torch version instead of depending on it."""
from __future__ import annotations

import io
import pickle

import torch

# (module, name) pairs a torch.save'd checkpoint of tensors, state dicts, optimiser state
# and argparse.Namespace refers to. Storage classes (torch.FloatStorage, ...) never reach
# find_class: torch.load's own wrapper turns them into dtype markers first.
# Not bytes or bytearray: called with an int they allocate that many bytes (a 30-byte pickle
# asking for gigabytes), and a checkpoint never needs them: protocol 2 writes non-empty bytes
# through _codecs.encode, which is refused anyway.
_BUILTIN_TYPES = ("dict", "list", "tuple", "set", "frozenset", "int", "float", "complex", "str", "bool", "slice")
_ALLOWED = {
    ("collections", "OrderedDict"),
    ("argparse", "Namespace"),
    ("torch._utils", "_rebuild_tensor"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch._utils", "_rebuild_parameter_with_state"),
    ("torch", "Size"),
    # protocol 2 (torch.save's default) writes Python 3's builtins under their Python 2 name
    *((module, name) for module in ("builtins", "__builtin__") for name in _BUILTIN_TYPES),
}


class ForbiddenGlobal(pickle.UnpicklingError):
    """The file names a global outside the allow-list; it was not imported or called."""

    def __init__(self, module: str, name: str):
        super().__init__(f"{module}.{name} is not allowed in a checkpoint")
        self.module = module
        self.name = name


def _is_dtype(module: str, name: str) -> bool:
    return module == "torch" and isinstance(getattr(torch, name, None), torch.dtype)


class Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED or _is_dtype(module, name):
            return super().find_class(module, name)
        raise ForbiddenGlobal(module, name)


def load(file, **kwargs):
    return Unpickler(file, **kwargs).load()


def loads(data: bytes, **kwargs):
    return load(io.BytesIO(data), **kwargs)

