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
