"""The settings table is declared once in code and documented once in docs/operations.md; they must agree."""
import re
from pathlib import Path

import pytest

from policykg.settings import SETTINGS, load_config

DOCS = Path(__file__).resolve().parent.parent / "docs" / "operations.md"


def _documented_rows() -> dict[str, tuple[str, str]]:
    text = DOCS.read_text(encoding="utf-8")
    block = text.split("<!-- settings:start -->", 1)[1].split("<!-- settings:end -->", 1)[0]
    rows = {}
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`(\w+)`", cells[0]) if cells else None
        if match:
            rows[match.group(1)] = (cells[1].strip("`"), cells[2].strip("`"))
    return rows


def test_every_setting_is_documented_with_its_variable_and_default():
    documented = _documented_rows()
    assert set(documented) == {s.name for s in SETTINGS}
    for setting in SETTINGS:
        variable, default = documented[setting.name]
        assert variable == f"POLICYKG_{setting.name.upper()}"
        expected = "(empty)" if setting.default == "" else str(setting.default)
        assert default == expected, setting.name


def test_environment_overrides_default_and_flags_override_environment():
    config = load_config(environ={"POLICYKG_QUERY_TIMEOUT": "2.5", "POLICYKG_PORT": "9000"})
    assert config.query_timeout == 2.5 and config.port == 9000
    config = load_config({"port": 9100}, environ={"POLICYKG_PORT": "9000"})
    assert config.port == 9100


@pytest.mark.parametrize("raw, expected", [("true", True), ("0", False), ("off", False), ("yes", True)])
def test_booleans_are_read_from_words(raw, expected):
    assert load_config(environ={"POLICYKG_INCLUDE_BACKGROUND": raw}).include_background is expected


def test_bad_values_name_the_setting():
    with pytest.raises(ValueError, match="port"):
        load_config(environ={"POLICYKG_PORT": "eighty"})
    with pytest.raises(ValueError, match="base"):
        load_config({"base": "https://example.org/no-slash"}, environ={})
    with pytest.raises(KeyError, match="colour"):
        load_config({"colour": "red"}, environ={})
