"""Lowering: figures' `Diagram`s and architecture tables -> DLIR modules."""
