"""Contracts and the pricing engine: load a contracts file, quote a stay, check an operator's price."""

from core.pricing.load import ContractsError, load_contracts
from core.pricing.model import ContractSet
from core.pricing.quote import Night, Quote, QuoteRequest, Totals, quote

__all__ = ["ContractSet", "ContractsError", "Night", "Quote", "QuoteRequest", "Totals", "load_contracts", "quote"]
