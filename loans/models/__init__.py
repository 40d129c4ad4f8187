"""The loans app's tables: products and their versions, whitelists, and the loan ledger."""

from loans.models.ledger import (
    CONTRACT_IMMUTABLE_COLUMNS,
    Channel,
    ContractTemplate,
    CreditExposure,
    Drawdown,
    IdempotencyRecord,
    Instalment,
    Loan,
    LoanApplication,
    LoanContract,
    Repayment,
    RepaymentChannel,
    RepaymentFeedback,
    RepaymentImport,
    VerificationMethod,
)
from loans.models.products import (
    LoanProduct,
    LoanProductVersion,
    ProductRule,
    RepaymentMethod,
    VersionStatus,
)
from loans.models.whitelists import WhitelistEntry, WhitelistVersion

__all__ = [
    "CONTRACT_IMMUTABLE_COLUMNS",
    "Channel",
    "ContractTemplate",
    "CreditExposure",
    "Drawdown",
    "IdempotencyRecord",
    "Instalment",
    "Loan",
    "LoanApplication",
    "LoanContract",
    "LoanProduct",
    "LoanProductVersion",
    "ProductRule",
    "Repayment",
    "RepaymentChannel",
    "RepaymentFeedback",
    "RepaymentImport",
    "RepaymentMethod",
    "VerificationMethod",
    "VersionStatus",
    "WhitelistEntry",
    "WhitelistVersion",
]
