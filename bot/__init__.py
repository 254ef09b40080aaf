"""Safer Sleep & Pregnancy Support: the application around the Rasa assistant."""
