"""Data governance: retention (`python -m bot retention run`) and subject requests
(`python -m bot subject export|erase PHONE`). See docs/data-protection.md."""
