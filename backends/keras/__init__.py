"""The Keras 3 target."""
