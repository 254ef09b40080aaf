"""Custom Rasa NLU components (listed in config.yml)."""
