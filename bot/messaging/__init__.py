"""Messages to and from parents over Twilio: pseudonyms, the inbox, the outbox and their workers."""
