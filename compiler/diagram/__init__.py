"""The contract between the figure readers and lowering (`Diagram`), and what acts on it
before lowering: flow orientation, the model-diagram classifier, grouping."""
