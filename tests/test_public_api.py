"""The public API: `redline.__all__` is complete, each name resolves, and `import redline` is cheap."""
from __future__ import annotations

import inspect
import subprocess
import sys

import redline
from redline.core import errors, model


def test_every_exported_name_resolves() -> None:
    for name in redline.__all__:
        assert getattr(redline, name) is not None, name


def test_all_holds_the_model_types_and_the_whole_error_tree() -> None:
    wanted = {"load_registry", "Registry", "Source", "Settings", "Archive", "open_archive", "run_cycle", "Store"}
    wanted |= {n for n, c in vars(model).items() if inspect.isclass(c) and c.__module__ == model.__name__}
    wanted |= {n for n, c in vars(errors).items()
               if inspect.isclass(c) and issubclass(c, errors.RedlineError)}
    assert wanted <= set(redline.__all__), sorted(wanted - set(redline.__all__))


def test_unknown_name_is_an_attribute_error() -> None:
    try:
        redline.no_such_name  # noqa: B018
    except AttributeError as e:
        assert "no_such_name" in str(e)
    else:
        raise AssertionError("redline.no_such_name resolved")


def test_import_redline_does_not_import_prefect_or_httpx() -> None:
    code = "import sys, redline; print(sorted(m for m in ('prefect', 'httpx') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out
