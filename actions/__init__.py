"""Rasa custom actions. Each action only orchestrates: it calls a service in `bot/` and returns events."""
