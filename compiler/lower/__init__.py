"""Lowering: figures' `Diagram`s and architecture tables -> DLIR modules, with the context the
prose gives (input size, classes, conventions such as "ReLU after every conv")."""
