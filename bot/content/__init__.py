"""The assistant's words: checks that every response is sourced, short and plain."""
