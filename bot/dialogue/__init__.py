"""Custom Rasa dialogue policies (listed in config.yml)."""
