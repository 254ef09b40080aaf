"""How parents reach the assistant, and how replies are shaped for their phones."""
