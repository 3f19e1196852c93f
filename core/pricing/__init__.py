"""Contracts and the pricing engine."""
