"""`alvh quotes import` and `alvh quotes residuals` as a user runs them: exit codes, messages,
the JSON shape (interface.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli import run_alvh

FIXTURES = Path(__file__).parent / "fixtures" / "option_chains"


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("quotes_home")
    assert run_alvh("init", home=home).returncode == 0
    return home


def test_import_exit_codes_and_residuals_json(home):
    table = str(FIXTURES / "cboe_quote_table_spx_2023-09-01_cut.csv")
    done = run_alvh("quotes", "import", table, home=home)
    # the download's real off-grid strike is quarantined: exit 3, naming row, column, rule
    assert done.returncode == 3, done.stderr
    assert "464 inserted" in done.stdout and "close quotes of 2023-09-01" in done.stdout
    assert "row 6, column 'strike'" in done.stderr and "rule: off_grid_strike" in done.stderr

    intraday = str(FIXTURES / "cboe_quote_table_spx_2011-01-24_intraday-1403_cut.csv")
    refused = run_alvh("quotes", "import", intraday, home=home)
    assert refused.returncode == 3 and "rule: not_a_close" in refused.stderr
    no_day = run_alvh("quotes", "import", intraday, "--intraday", home=home)
    assert no_day.returncode == 2 and "--as-of" in no_day.stderr
    bad_format = run_alvh("quotes", "import", table, "--format", "xls", home=home)
    assert bad_format.returncode == 2

    shown = run_alvh("quotes", "residuals", "--as-of", "2023-09-01", "--json", home=home)
    assert shown.returncode == 0, shown.stderr
    out = json.loads(shown.stdout)
    assert set(out) >= {"as_of", "source", "forward", "options", "summary"}
    assert out["as_of"] == "2023-09-01" and 4500 < out["forward"] < 4560
    assert {o["type"] for o in out["options"]} == {"C", "P"}
    text = run_alvh("quotes", "residuals", "--as-of", "2023-09-01", home=home)
    assert text.returncode == 0 and "IV error (model − market, vol points)" in text.stdout
    missing = run_alvh("quotes", "residuals", "--as-of", "2023-08-31", home=home)
    assert missing.returncode == 2 and "no option quotes stored" in missing.stderr
