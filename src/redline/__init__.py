"""redline: watch official statements and alert on wording changes.

What a script needs, from one place (``from redline import load_registry, Archive, ...``).
Names resolve lazily (module-level ``__getattr__``) so ``import redline`` stays cheap:
no Prefect, no httpx until a name that needs them is used.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS: dict[str, str] = {
    # registry
    "load_registry": "redline.registry.load",
    "Registry": "redline.registry.load",
    # config
    "Settings": "redline.core.config",
    "FetchSettings": "redline.core.config",
    # model
    "Source": "redline.core.model",
    "FetchResult": "redline.core.model",
    "Normalized": "redline.core.model",
    "Classification": "redline.core.model",
    "CheckOutcome": "redline.core.model",
    "Alert": "redline.core.model",
    "SourceStatus": "redline.core.model",
    "Health": "redline.core.model",
    "CheckChange": "redline.core.model",
    "ChangeKind": "redline.core.model",
    "AlertKind": "redline.core.model",
    "DeliveryStatus": "redline.core.model",
    # store
    "Archive": "redline.store.sqlite",
    "Store": "redline.store.interface",
    "open_archive": "redline.store",
    # one monitoring cycle
    "run_cycle": "redline.monitor.cycle",
    "CycleReport": "redline.monitor.cycle",
    # errors
    "RedlineError": "redline.core.errors",
    "ConfigError": "redline.core.errors",
    "RegistryError": "redline.core.errors",
    "MaskError": "redline.core.errors",
    "ArchiveError": "redline.core.errors",
    "NotFoundError": "redline.core.errors",
    "IndexConnectionLost": "redline.core.errors",
    "FetchError": "redline.core.errors",
    "PageTooLarge": "redline.core.errors",
    "DeliveryError": "redline.core.errors",
    "PrefectUnavailable": "redline.core.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'redline' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value  # resolve once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
