"""Rasa custom actions. Each only orchestrates: it calls a service in `bot/` and returns events;
the rules in data/rules/ decide which responses the parent sees."""
