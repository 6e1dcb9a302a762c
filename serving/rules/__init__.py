"""Serving's store of instructor rules and overrides; the rule language itself is :mod:`pathwise.contract.rules`."""
