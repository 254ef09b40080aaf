"""One blueprint per concern: sign-in, the queue, case pages and the audit log."""
