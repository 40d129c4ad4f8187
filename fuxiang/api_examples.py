"""The ids and values the API schema's examples use (``/api/docs/``). The contract test
(tests/test_api_contract.py) creates rows under these ids, so every documented example is a
request that works: the creates answer 201, the reads 200."""

from __future__ import annotations

# rows the examples name (in the contract test: officer A's grid)
VILLAGE_ID = 12
HOUSEHOLD_ID = 1024
MEMBER_ID = 2048
ENTITY_ID = 64
# an approved application not yet signed; a signed contract, partly drawn; its loan
APPLICATION_ID = 512
CONTRACT_ID = 256
LOAN_ID = 128

# numbers with valid check digits (GB 11643, GB 32100) that belong to nobody
NEW_HEAD_ID_NUMBER = "430223198209080059"
SPOUSE_ID_NUMBER = "430223198803210020"
LEGAL_REP_ID_NUMBER = "430223197911020035"
ENTITY_USCC = "92430223MA4L7Q2X1U"

# a signing code the borrower of APPLICATION_ID received (in the contract test: a row made with
# this id and code; in real use the id comes from 发送签约验证码 and the code from the SMS)
SIGNING_CODE_ID = "5f0c2a7e9b1d4c3a8e6f1b2d3c4a5e6f"
SIGNING_CODE = "246810"
