"""The trainers' loop: keep every trained model with its figures, gate promotion, switch models."""
