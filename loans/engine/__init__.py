"""The loans engine: pure Python, no Django — schedules, admission rules, state machines."""
