"""The dashboard's settings: defaults, and a clear error for each kind of bad value."""
import pytest

from bot.config import load_settings


def test_dashboard_defaults():
    settings = load_settings({})
    assert (settings.dashboard_port, settings.dashboard_url) == (8000, "http://localhost:8000")
    assert (settings.target_minutes_emergency, settings.target_minutes_high) == (15, 240)
    assert settings.session_idle_minutes == 30 and settings.on_call_number is None
    assert settings.bot_env == "development"


def test_the_dashboard_url_follows_its_port_unless_set():
    assert load_settings({"DASHBOARD_PORT": "9000"}).dashboard_url == "http://localhost:9000"
    assert load_settings({"DASHBOARD_URL": "https://hv.example.nhs.uk/"}).dashboard_url == "https://hv.example.nhs.uk"


@pytest.mark.parametrize("name, value, message", [
    ("ON_CALL_NUMBER", "07700 900123", "international form"),
    ("DASHBOARD_URL", "hv.example.nhs.uk", "http:// or https://"),
    ("TARGET_MINUTES_HIGH", "0", "whole number of minutes"),
    ("DASHBOARD_SESSION_IDLE_MINUTES", "half an hour", "whole number of minutes"),
    ("DASHBOARD_PORT", "80000", "TCP port"),
])
def test_a_bad_dashboard_setting_is_a_clear_error(name, value, message):
    with pytest.raises(ValueError, match=message):
        load_settings({name: value})
