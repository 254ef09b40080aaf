"""Handoffs ("cases"): consent, creation, withdrawal, pause and close. One transaction per change."""
