"""Kubernetes resource quantities as numbers and back, for sums such as a namespace's quota."""
from __future__ import annotations

import re

_CPU = re.compile(r"^(\d+(?:\.\d+)?)(m?)$")
_MEMORY = re.compile(r"^(\d+)(Ki|Mi|Gi|Ti|K|M|G|T)?$")
_MEMORY_UNITS = {None: 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def cpu_millicores(quantity: str) -> int:
    number, milli = _CPU.match(quantity).groups()
    return int(float(number)) if milli else int(float(number) * 1000)


def memory_bytes(quantity: str) -> int:
    number, unit = _MEMORY.match(quantity).groups()
    return int(number) * _MEMORY_UNITS[unit]


def millicores(value: int) -> str:
    return f"{value}m"


def mebibytes(value: int) -> str:
    """Rounded up, so a quota built from a sum never comes out below the sum."""
    return f"{-(-value // 2**20)}Mi"
