"""The TensorFlow 2 target (no Keras)."""
