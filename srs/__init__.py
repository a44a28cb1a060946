"""srs: spaced-repetition flashcards from programming lessons."""

__version__ = "0.1.0"
