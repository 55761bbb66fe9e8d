"""Model Lifecycle Watcher: watches where AI models are announced, priced and sold."""

__version__ = "0.1.0"
