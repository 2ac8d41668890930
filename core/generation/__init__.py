"""Synthetic data generation: recipes rendered into prompts, sent through a bounded, rate-adaptive,
resumable engine to any OpenAI-compatible endpoint or the embedded local model."""
