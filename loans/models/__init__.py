"""The loans app's tables: products and their versions, whitelists, and the loan ledger."""

from loans.models.applications import LoanApplication
from loans.models.contracts import CONTRACT_IMMUTABLE_COLUMNS, ContractTemplate, LoanContract
from loans.models.ledger import Channel, CreditExposure, IdempotencyRecord, VerificationMethod
from loans.models.loan_accounts import Drawdown, Instalment, Loan

# the loan platform link (its own module; see loans/platform/)
from loans.models.platform import (
    Delivery,
    DeliveryAttempt,
    DeliveryKind,
    DeliveryStatus,
    Difference,
    DifferenceKind,
    InboundEvent,
    InboundSource,
    InboundStatus,
    Platform,
    PlatformBalance,
    PlatformFileImport,
    PlatformLink,
    ReconciliationRun,
)
from loans.models.products import (
    LoanProduct,
    LoanProductVersion,
    ProductRule,
    RepaymentMethod,
    VersionStatus,
)
from loans.models.repayments import (
    Repayment,
    RepaymentChannel,
    RepaymentFeedback,
    RepaymentImport,
)
from loans.models.signing import SigningCode
from loans.models.whitelists import WhitelistEntry, WhitelistVersion

__all__ = [
    "CONTRACT_IMMUTABLE_COLUMNS",
    "Channel",
    "ContractTemplate",
    "CreditExposure",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryKind",
    "DeliveryStatus",
    "Difference",
    "DifferenceKind",
    "Drawdown",
    "IdempotencyRecord",
    "InboundEvent",
    "InboundSource",
    "InboundStatus",
    "Instalment",
    "Loan",
    "LoanApplication",
    "LoanContract",
    "LoanProduct",
    "LoanProductVersion",
    "Platform",
    "PlatformBalance",
    "PlatformFileImport",
    "PlatformLink",
    "ProductRule",
    "ReconciliationRun",
    "Repayment",
    "RepaymentChannel",
    "RepaymentFeedback",
    "RepaymentImport",
    "RepaymentMethod",
    "SigningCode",
    "VerificationMethod",
    "VersionStatus",
    "WhitelistEntry",
    "WhitelistVersion",
]
