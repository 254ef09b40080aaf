"""Trainers' test sender ids cannot be forged by choosing a REST sender id."""
from __future__ import annotations

from bot.handoffs.test_senders import PREFIX, is_test_conversation, is_test_sender, new_test_sender

SECRET = b"k" * 32


def test_a_test_sender_id_made_with_the_secret_is_recognised_and_each_is_new():
    first, second = new_test_sender(SECRET), new_test_sender(SECRET)
    assert first != second and first.startswith(PREFIX)
    assert is_test_sender(first, SECRET) and is_test_sender(second, SECRET)


def test_the_prefix_alone_or_another_secret_is_not_a_test_conversation():
    made = new_test_sender(SECRET)
    nonce = made[len(PREFIX):].rpartition("-")[0]
    for forged in (PREFIX + "me", f"{PREFIX}{nonce}-{'0' * 24}", f"{PREFIX}-", "sms-abc", made + "x"):
        assert not is_test_sender(forged, SECRET), forged
    assert not is_test_sender(made, b"another secret")


def test_a_parents_sender_id_never_needs_the_secret():
    def unreadable() -> bytes:
        raise OSError("the key file cannot be read")

    assert not is_test_conversation("sms-0123456789abcdef", unreadable)
    assert is_test_conversation(new_test_sender(SECRET), lambda: SECRET)
