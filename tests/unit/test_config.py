import pytest

from bot.config import load_settings


def test_defaults_put_conversations_in_embedded_sqlite_under_var(tmp_path):
    settings = load_settings({"BOT_PROJECT_ROOT": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'app.db'}"
    assert settings.tracker_store_url == settings.database_url
    assert (settings.rasa_port, settings.actions_port) == (5005, 5055)
    assert settings.rasa_token is None


def test_database_url_selects_the_database_for_conversations_too():
    settings = load_settings({"DATABASE_URL": "postgresql://bot@db:5432/bot"})
    assert settings.tracker_store_url == "postgresql://bot@db:5432/bot"


def test_ports_and_token_come_from_the_environment():
    settings = load_settings({"RASA_PORT": "6005", "ACTIONS_PORT": "6055", "RASA_TOKEN": "s3cret"})
    assert (settings.rasa_port, settings.actions_port, settings.rasa_token) == (6005, 6055, "s3cret")


@pytest.mark.parametrize("bad", ["http", "0", "70000", "-1"])
def test_a_bad_port_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="RASA_PORT must be a TCP port"):
        load_settings({"RASA_PORT": bad})


def test_promotion_tells_the_rasa_server_on_rasa_port_unless_replicas_are_listed():
    assert load_settings({"RASA_PORT": "6005"}).rasa_replica_urls == ("http://127.0.0.1:6005",)
    listed = load_settings({"RASA_REPLICA_URLS": "http://10.0.0.5:5005/, http://10.0.0.6:5005"})
    assert listed.rasa_replica_urls == ("http://10.0.0.5:5005", "http://10.0.0.6:5005")
    with pytest.raises(ValueError, match="RASA_REPLICA_URLS must be an http"):
        load_settings({"RASA_REPLICA_URLS": "10.0.0.5:5005"})
