"""Pure logic of the QR lookup: no Django, no database, no clock (``now`` is passed in).

- ``inputs``: what a villager may type (name, resident ID, SMS code), normalised and bounded,
  with Chinese messages that speak only of the text typed, never of the database.
- ``agents``: the kind of browser a scan came from (WeChat, phone, computer).
- ``outcome``: what the result page may say about a household's line.
- ``codes``: verification codes and their keyed hashes.
"""
