"""Measuring the assistant against held-out parent messages it was not trained on."""
