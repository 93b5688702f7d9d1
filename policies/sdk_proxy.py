"""pulumi_policy's proxy module (unknown values at preview), loaded without the rest of the SDK.

Rules catch the SDK's own UnknownValueError, so they need its class, not a copy of it. The module
defining it imports nothing of Pulumi, but importing it the usual way runs the pulumi_policy
package first, which imports the whole Pulumi runtime and gRPC (a fifth of a second a manifest scan
never needs). So the module file is loaded by itself, under its own name: when the SDK is imported
later, its `from .proxy import ...` finds this very module in sys.modules, and both share one class;
the package gets the module as its `proxy` attribute too, as a normal import of it would have given.
"""
from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

PACKAGE = "pulumi_policy"
NAME = f"{PACKAGE}.proxy"


def _load() -> ModuleType:
    if NAME in sys.modules:
        return sys.modules[NAME]
    package = importlib.util.find_spec(PACKAGE)  # finds the package without running it
    if package is None or not package.submodule_search_locations:
        raise ImportError("pulumi_policy is not installed")
    spec = importlib.util.spec_from_file_location(NAME, f"{package.submodule_search_locations[0]}/proxy.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[NAME] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[NAME]
        raise
    if PACKAGE in sys.modules:
        setattr(sys.modules[PACKAGE], "proxy", module)
    else:
        sys.meta_path.insert(0, _BindsProxy(module))
    return module


class _BindsProxy:
    """When the package is imported, gives it the already loaded module as its `proxy` attribute
    (a meta path finder: the import system only calls its find_spec)."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module

    def find_spec(self, name, path, target=None):
        if name != PACKAGE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run_package = spec.loader.exec_module

        def exec_module(package: ModuleType) -> None:
            package.proxy = self.module
            run_package(package)

        spec.loader.exec_module = exec_module
        return spec


proxy = _load()
UnknownValueError = proxy.UnknownValueError
unknown_checking_proxy = proxy.unknown_checking_proxy
DictProxy = proxy._DictProxy
ListProxy = proxy._ListProxy
UNKNOWN_VALUES = (proxy.UNKNOWN_BOOLEAN_VALUE, proxy.UNKNOWN_NUMBER_VALUE, proxy.UNKNOWN_STRING_VALUE,
                  proxy.UNKNOWN_ARRAY_VALUE, proxy.UNKNOWN_ASSET_VALUE, proxy.UNKNOWN_ARCHIVE_VALUE,
                  proxy.UNKNOWN_OBJECT_VALUE)
