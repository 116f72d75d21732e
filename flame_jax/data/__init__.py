"""Upstream files -> FLAMe records -> seqio tasks and mixtures -> batches."""
