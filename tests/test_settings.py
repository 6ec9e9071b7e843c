"""Settings: environment over TOML over defaults; secrets never leave as text."""

from __future__ import annotations

import pytest

from alvh.core.errors import UsageError
from alvh.core.settings import DEFAULT_CBOE_URL_TEMPLATE, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for key in list(__import__("os").environ):
        if key.startswith("ALVH_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ALVH_HOME", str(tmp_path))


def test_defaults_put_the_warehouse_in_alvh_home(tmp_path):
    settings = load_settings()
    assert settings.warehouse_path == tmp_path / "alvh.duckdb"
    assert settings.cboe_url_template == DEFAULT_CBOE_URL_TEMPLATE


def test_toml_in_home_is_read_and_environment_wins(tmp_path, monkeypatch):
    (tmp_path / "alvh.toml").write_text('smtp_host = "mail.example"\nsmtp_port = 2525\n')
    settings = load_settings()
    assert (settings.smtp_host, settings.smtp_port) == ("mail.example", 2525)
    monkeypatch.setenv("ALVH_SMTP_PORT", "465")
    assert load_settings().smtp_port == 465


def test_alvh_config_points_elsewhere(tmp_path, monkeypatch):
    other = tmp_path / "other.toml"
    other.write_text('mail_to = "risk@example.com"\n')
    monkeypatch.setenv("ALVH_CONFIG", str(other))
    assert load_settings().mail_to == "risk@example.com"
    monkeypatch.setenv("ALVH_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(UsageError, match="does not exist"):
        load_settings()


def test_unknown_keys_and_bad_values_are_refused(tmp_path):
    (tmp_path / "alvh.toml").write_text('smtp_securty = "ssl"\n')
    with pytest.raises(Exception, match="smtp_securty"):
        load_settings()
    (tmp_path / "alvh.toml").write_text('smtp_security = "carrier-pigeon"\n')
    with pytest.raises(Exception, match="smtp_security"):
        load_settings()


def test_the_smtp_password_never_appears_in_public_views(monkeypatch):
    monkeypatch.setenv("ALVH_SMTP_PASSWORD", "hunter2-secret")
    settings = load_settings()
    assert settings.smtp_password.get_secret_value() == "hunter2-secret"
    for text in (repr(settings), str(settings.public_dict()), settings.config_hash()):
        assert "hunter2-secret" not in text
    assert settings.public_dict()["smtp_password_set"] is True


def test_example_config_is_valid(tmp_path, monkeypatch):
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "alvh.toml.example"
    monkeypatch.setenv("ALVH_CONFIG", str(example))
    settings = load_settings()
    assert settings.smtp_security in ("starttls", "ssl", "none")


def test_approvers_are_k_distinct_names_of_m(monkeypatch):
    """Method §6.5: k of m named approvers. k may not exceed m, and a name counts once."""
    monkeypatch.setenv("ALVH_APPROVERS", '["alice", "bob", "carol"]')
    monkeypatch.setenv("ALVH_APPROVALS_REQUIRED", "2")
    settings = load_settings()
    assert (settings.approvers, settings.approvals_required) == (["alice", "bob", "carol"], 2)
    with pytest.raises(Exception, match=r"approvals_required \(4\) exceeds the number"):
        load_settings(approvals_required=4)
    for approvers in (["alice", " alice"], ["alice", " "]):
        with pytest.raises(Exception, match="distinct, non-empty"):
            load_settings(approvers=approvers)


def test_method_parameters_come_from_tables_or_nested_environment(tmp_path, monkeypatch):
    (tmp_path / "alvh.toml").write_text("[signals]\ns1_vix_max = 24.0\n")
    assert load_settings().signals == {"s1_vix_max": 24.0}
    monkeypatch.setenv("ALVH_SIGNALS__S1_VIX_MAX", "22.5")
    assert load_settings().signals == {"s1_vix_max": 22.5}


def test_the_example_configuration_documents_every_setting_with_its_default():
    """alvh.toml.example names every setting; its method tables list every parameter with the
    default in force (uncommented, they change nothing), so the file cannot drift from code."""
    import re
    import tomllib
    from dataclasses import fields
    from pathlib import Path

    from alvh.book.costs import CostModel
    from alvh.core.settings import Settings
    from alvh.hedge.layers import LayerConfig
    from alvh.hedge.signals import SignalConfig

    text = (Path(__file__).resolve().parents[1] / "alvh.toml.example").read_text("utf-8")
    documented = tomllib.loads(re.sub(r"(?m)^# (\w+ = )", r"\1", text))
    secret_or_location = {"home", "smtp_password"}  # environment only (the file says why)
    assert set(Settings.model_fields) - secret_or_location <= set(documented)
    for table, parameters in (
        ("signals", SignalConfig),
        ("layers", LayerConfig),
        ("costs", CostModel),
    ):
        assert documented[table] == {f.name: f.default for f in fields(parameters)}, table
    assert documented["approvers"] == Settings.model_fields["approvers"].default_factory()


def test_approver_names_are_kept_as_they_are_compared(tmp_path):
    from alvh.core.settings import Settings

    settings = Settings(home=tmp_path, approvers=[" alice ", "bob"], approvals_required=2)
    assert settings.approvers == ["alice", "bob"]
    with pytest.raises(ValueError, match="distinct"):
        Settings(home=tmp_path, approvers=["alice", " alice"])


# ---------------------------------------------------------------------------------------------
# issue 15: a bad setting is exit 2 in one line naming the file or variable, the key and the rule


def _alvh_exit(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """Run the `alvh` command in this process; its exit code and what it wrote to stderr."""
    import sys

    from alvh.cli.process import main

    monkeypatch.setattr(sys, "argv", ["alvh", *args])
    with pytest.raises(SystemExit) as ended:
        main()
    return ended.value.code, capsys.readouterr().err


BAD_FILES = [
    # (TOML text, what the message must name besides the file)
    ("x = [\n", "not a valid TOML file"),
    ("smtp_securty = 'ssl'\n", "smtp_securty: Extra inputs are not permitted"),
    ("smtp_port = 'abc'\n", "smtp_port: Input should be a valid integer"),
    ("smtp_port = 70000\n", "smtp_port: Input should be less than or equal to 65535"),
    ("smtp_port = 0\n", "smtp_port: Input should be greater than or equal to 1"),
    ("approvers = ['a', 'b']\napprovals_required = 3\n", "approvals_required (3) exceeds"),
    ("approvers = ['alice', ' alice']\n", "approvers: approvers must be distinct"),
    ("smtp_password = 'hunter2-in-file'\n", "smtp_password: secrets are read only from the env"),
    ("[costs]\nfee_per_contract = -1.0\n", "[costs] fee_per_contract = -1.0: fees must be non-neg"),
    ("[layers]\nroll_days = 7.9\n", "[layers] roll_days = 7.9: must be a whole number"),
    ("[layers]\nrol_days = 7\n", "[layers] rol_days: unknown setting; known: hedge_budget_pct"),
    ("[signals]\ns2_z = nan\n", "[signals] s2_z = nan: must be a finite number"),
    ("[signals]\ns5_fast = 30\n", "[signals] s5_fast = 30: s5_fast must be shorter"),
    ("fred_url_template = 'http://x/fred.csv'\n", "fred_url_template: must contain the placehol"),
]


@pytest.mark.parametrize(("text", "rule"), BAD_FILES)
def test_a_bad_settings_file_is_exit_2_naming_the_file_key_and_rule(
    text, rule, tmp_path, monkeypatch, capsys
):
    (tmp_path / "alvh.toml").write_text(text)
    code, err = _alvh_exit(monkeypatch, capsys, "data", "status")
    assert code == 2, err
    assert err.startswith(f"error: {tmp_path / 'alvh.toml'}: "), err
    assert rule in err
    assert len(err.strip().splitlines()) == 1
    assert "hunter2" not in err


BAD_VARIABLES = [
    ("ALVH_HTTP_TIMEOUT_SECONDS", "abc", "http_timeout_seconds: Input should be a valid number"),
    ("ALVH_CBOE_URL_TEMPLATE", "http://x/spx.csv", "cboe_url_template: must contain {symbol}"),
    ("ALVH_CBOE_URL_TEMPLATE", "http://x/{symbol}/{day}", "and no other (found ['day', 'symb"),
    ("ALVH_SMTP_PORT", "65536", "smtp_port: Input should be less than or equal to 65535"),
    ("ALVH_APPROVALS_REQUIRED", "2", "approvals_required (2) exceeds the number of approvers"),
    ("ALVH_COSTS__FEE_PER_CONTRACT", "-0.5", "[costs] fee_per_contract = -0.5: fees must be"),
    ("ALVH_LAYERS__ROLL_DAYS", "7.9", "[layers] roll_days = 7.9: must be a whole number"),
]


@pytest.mark.parametrize(("variable", "value", "rule"), BAD_VARIABLES)
def test_a_bad_environment_variable_is_exit_2_naming_the_variable_key_and_rule(
    variable, value, rule, monkeypatch, capsys
):
    monkeypatch.setenv(variable, value)
    code, err = _alvh_exit(monkeypatch, capsys, "data", "status")
    assert code == 2, err
    assert err.startswith(f"error: environment variable {variable}: "), err
    assert rule.replace("must contain {symbol}", "must contain the placeholder {symbol}") in err
    assert len(err.strip().splitlines()) == 1


def test_good_tables_pass_the_checks_and_a_rule_across_keys_is_judged_on_all_of_them(tmp_path):
    from alvh.book.costs import CostModel
    from alvh.core.settings import check_method_table
    from alvh.hedge.layers import LayerConfig

    # roll_days = 25 alone breaks `roll_days < min_days_new` (21); with min_days_new = 30 it holds
    (tmp_path / "alvh.toml").write_text(
        "[layers]\nroll_days = 25\nmin_days_new = 30\n[costs]\nfee_per_contract = 0.65\n"
    )
    settings = load_settings()
    check_method_table(settings, "layers", LayerConfig)
    check_method_table(settings, "costs", CostModel)
    assert settings.layers == {"roll_days": 25, "min_days_new": 30}
    assert isinstance(settings.layers["roll_days"], int)


def test_model_parameters_come_from_the_model_table(tmp_path, monkeypatch):
    """method.md: defaults live in configuration — [model] over ModelParams' defaults, its
    sub-tables over the nested ones; the example documents every one with its default."""
    import re
    import tomllib
    from dataclasses import asdict
    from pathlib import Path

    from alvh.book.valuation import ModelParams
    from alvh.core.errors import UsageError

    text = (Path(__file__).resolve().parents[1] / "alvh.toml.example").read_text("utf-8")
    documented = tomllib.loads(re.sub(r"(?m)^# (\w+ = )", r"\1", text))["model"]
    assert documented == asdict(ModelParams())
    (tmp_path / "alvh.toml").write_text("[model]\natm_ratio = 0.8\n[model.vx]\nkappa = 2.0\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ALVH_CONFIG", str(tmp_path / "alvh.toml"))
    params = ModelParams.from_mapping(load_settings().model)
    assert params.atm_ratio == 0.8 and params.vx.kappa == 2.0
    assert params.vx.theta == ModelParams().vx.theta  # the rest of the sub-table keeps defaults
    with pytest.raises(UsageError, match="atm_ration"):
        ModelParams.from_mapping({"atm_ration": 0.8})
    with pytest.raises(UsageError, match=r"model\.vx"):
        ModelParams.from_mapping({"vx": {"kapa": 2.0}})
