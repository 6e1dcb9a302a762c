"""Pathwise: ML-first personalization and assessment platform built around a model registry."""

__version__ = "0.1.0"
