"""Where conversations and application data are stored."""
