"""README's configuration table lists every setting with its real default."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic_core import PydanticUndefined

from runlens.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_is_documented_with_its_default() -> None:
    rows = {
        match.group(1): match.group(2)
        for match in re.finditer(r"`(RUNLENS_[A-Z_]+)` \| `?([^|`]*)`? \|", README.read_text())
    }
    for name, field in Settings.model_fields.items():
        variable = f"RUNLENS_{name.upper()}"
        assert variable in rows, f"{variable} is missing from README's configuration table"
        default = field.default
        if default is None or default is PydanticUndefined:
            continue
        shown = rows[variable]
        if isinstance(default, float) and default.is_integer():
            default = int(default)
        assert shown == str(default), f"README shows {variable}={shown}, the default is {default}"
